package io.mvrefresh.tracing;

import io.mvrefresh.vocabulary.ViewId;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Starts one trace per run (see {@link RunTrace}). Off while the OpenTelemetry SDK is off, which
 * it is until an exporter endpoint is configured ({@link TracingSwitch}).
 */
@ApplicationScoped
public class RunTracer {

    /** The run id, on a run's root span: what tells {@link RunSampler} a span begins a run. */
    static final AttributeKey<Long> RUN_ID = AttributeKey.longKey("mvrefresh.run_id");

    private final Tracer tracer;
    private final boolean on;

    public RunTracer(OpenTelemetry openTelemetry,
            @ConfigProperty(name = TracingSwitch.SDK_DISABLED, defaultValue = "true") boolean sdkDisabled) {
        this.tracer = openTelemetry.getTracer("io.mvrefresh");
        this.on = !sdkDisabled;
    }

    /** The trace of run {@code runId} of {@code view}, from when it was queued. */
    public RunTrace start(ViewId view, long runId, String trigger, Instant queuedAt) {
        if (!on) {
            return RunTrace.NONE;
        }
        var span = tracer.spanBuilder("refresh " + view).setSpanKind(SpanKind.INTERNAL).setParent(Context.root())
                .setStartTimestamp(queuedAt)
                .setAttribute("mvrefresh.view", view.toString())
                .setAttribute(RUN_ID, runId)
                .setAttribute("mvrefresh.trigger", trigger)
                .startSpan();
        return new RunTrace(tracer, span);
    }
}
