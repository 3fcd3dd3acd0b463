package io.mvrefresh.tracing;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import java.util.List;

/**
 * Keeps the OpenTelemetry SDK off until an exporter endpoint is configured: a sidecar without a
 * collector exports nothing and so logs no export error. Setting
 * {@code quarkus.otel.exporter.otlp.endpoint} (or its {@code traces.} form) turns traces on; an
 * explicit {@code quarkus.otel.sdk.disabled} always wins.
 */
public class TracingSwitch implements ConfigSourceInterceptor {

    static final String SDK_DISABLED = "quarkus.otel.sdk.disabled";
    static final List<String> ENDPOINTS = List.of("quarkus.otel.exporter.otlp.traces.endpoint",
            "quarkus.otel.exporter.otlp.endpoint");

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue value = context.proceed(name);
        if (!SDK_DISABLED.equals(name) || set(value)) {
            return value;
        }
        boolean endpoint = ENDPOINTS.stream().map(context::proceed).anyMatch(TracingSwitch::set);
        return ConfigValue.builder().withName(name).withValue(Boolean.toString(!endpoint))
                .withConfigSourceName("mvrefresh: traces are off until an exporter endpoint is set")
                .build();
    }

    /** Set by someone: not empty and not a built-in default (those come from sources of the lowest ordinal). */
    private static boolean set(ConfigValue value) {
        return value != null && value.getValue() != null && !value.getValue().isBlank()
                && value.getConfigSourceOrdinal() > Integer.MIN_VALUE;
    }
}
