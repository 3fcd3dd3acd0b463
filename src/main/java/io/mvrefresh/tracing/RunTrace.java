package io.mvrefresh.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One run's trace: a root span from the moment the run was queued until its last step (its
 * invalidation, when it has one), and a child span per step. With tracing off every method does
 * nothing and the run has no {@code traceparent}.
 */
public final class RunTrace {

    /** The trace of a run nobody traces (tracing off, or work recovered after a restart). */
    public static final RunTrace NONE = new RunTrace(TracerProvider.noop().get("none"), Span.getInvalid());

    private final Tracer tracer;
    private final Span root;

    RunTrace(Tracer tracer, Span root) {
        this.tracer = tracer;
        this.root = root;
    }

    /**
     * Runs {@code work} as the step {@code name}: its span starts when the work is subscribed to
     * and ends with its item or failure. The work is started with the step's span current, so the
     * PostgreSQL and Redis clients' own spans nest under it.
     */
    public <T> Uni<T> step(String name, Supplier<Uni<T>> work) {
        if (!root.getSpanContext().isValid()) {
            return work.get();
        }
        return Uni.createFrom().emitter(emitter -> {
            Span span = tracer.spanBuilder(name).setParent(Context.root().with(root)).startSpan();
            AtomicReference<Cancellable> inner = new AtomicReference<>();
            emitter.onTermination(() -> {
                Cancellable running = inner.get();
                if (running != null) {
                    running.cancel();
                }
            });
            try (Scope ignored = span.makeCurrent()) {
                inner.set(work.get().subscribe().with(item -> {
                    span.end();
                    emitter.complete(item);
                }, failure -> {
                    failed(span, failure);
                    span.end();
                    emitter.fail(failure);
                }));
            } catch (RuntimeException e) {
                failed(span, e);
                span.end();
                emitter.fail(e);
            }
        });
    }

    /** A step that is over already: it ran from {@code from} to {@code to} (the wait in the queue). */
    public void stepBetween(String name, Instant from, Instant to) {
        if (root.getSpanContext().isValid() && from != null && to != null) {
            tracer.spanBuilder(name).setParent(Context.root().with(root)).setStartTimestamp(from).startSpan().end(to);
        }
    }

    public RunTrace attribute(String key, String value) {
        if (value != null) {
            root.setAttribute(key, value);
        }
        return this;
    }

    public RunTrace attribute(String key, long value) {
        root.setAttribute(key, value);
        return this;
    }

    /** Marks the run failed, with its error. */
    public RunTrace failed(String error) {
        root.setStatus(StatusCode.ERROR, error);
        return this;
    }

    /** Ends the run's trace; what follows is not part of it. */
    public void end() {
        root.end();
    }

    /**
     * The W3C {@code traceparent} of the run ({@code 00-<trace id>-<span id>-<flags>}), so an
     * application can link its cache refill to the refresh; empty when the run is not traced.
     */
    public Optional<String> traceparent() {
        SpanContext context = root.getSpanContext();
        if (!context.isValid()) {
            return Optional.empty();
        }
        return Optional.of("00-" + context.getTraceId() + "-" + context.getSpanId() + "-" + context.getTraceFlags().asHex());
    }

    /** The trace id; empty when the run is not traced. */
    public Optional<String> traceId() {
        return root.getSpanContext().isValid() ? Optional.of(root.getSpanContext().getTraceId()) : Optional.empty();
    }

    /** What ends each of the run's log lines: {@code " (trace <id>)"}, or nothing when the run is not traced. */
    public String logSuffix() {
        return traceId().map(id -> " (trace " + id + ")").orElse("");
    }

    private static void failed(Span span, Throwable failure) {
        span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
        span.recordException(failure);
    }
}
