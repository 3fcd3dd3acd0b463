package io.mvrefresh.tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import jakarta.inject.Singleton;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Which traces are kept: a run's, at the ratio {@code quarkus.otel.traces.sampler.arg} (default
 * 1.0, every run), and an admin API request's at the same ratio; a span inside a kept trace is
 * kept with it. A PostgreSQL or Redis client span that belongs to no run (the change poll every
 * second, the readiness ping, housekeeping) is dropped: it would be a trace of its own each time.
 */
@Singleton
public class RunSampler implements Sampler {

    private final Sampler ratio;

    public RunSampler(@ConfigProperty(name = "quarkus.otel.traces.sampler.arg", defaultValue = "1.0") double ratio) {
        this.ratio = Sampler.traceIdRatioBased(ratio);
    }

    @Override
    public SamplingResult shouldSample(Context parentContext, String traceId, String name, SpanKind spanKind,
            Attributes attributes, List<LinkData> parentLinks) {
        SpanContext parent = Span.fromContext(parentContext).getSpanContext();
        if (parent.isValid()) {
            return parent.isSampled() ? SamplingResult.recordAndSample() : SamplingResult.drop();
        }
        if (attributes.get(RunTracer.RUN_ID) != null || spanKind == SpanKind.SERVER) {
            return ratio.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
        }
        return SamplingResult.drop();
    }

    @Override
    public String getDescription() {
        return "mvrefresh runs and admin requests at " + ratio.getDescription() + ", nothing else on its own";
    }
}
