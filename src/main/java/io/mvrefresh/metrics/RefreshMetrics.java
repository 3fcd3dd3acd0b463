package io.mvrefresh.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.vocabulary.AppliedMode;
import io.mvrefresh.vocabulary.Outcome;
import io.mvrefresh.vocabulary.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.function.IntSupplier;
import java.util.function.ToIntFunction;

/**
 * Records what refreshes do as Micrometer meters; Prometheus renders the dotted names as the
 * {@code mvrefresh_*} series in SPEC.md. Every series of a name carries the same tag keys, and
 * every tag value comes from a closed enum or a view name from the catalog.
 */
@ApplicationScoped
public class RefreshMetrics {

    /** Rendered as {@code mvrefresh_refresh_duration_seconds}. */
    public static final String REFRESH_DURATION = "mvrefresh.refresh.duration";

    private final MeterRegistry registry;
    private final boolean perView;

    public RefreshMetrics(MeterRegistry registry, GlobalSettings settings) {
        this.registry = registry;
        this.perView = settings.metrics().perViewHistograms();
    }

    /**
     * The scheduler's gauges, read at scrape time: {@code mvrefresh_refresh_in_flight} and
     * {@code mvrefresh_queue_depth} per configured priority.
     */
    public void registerSchedulerGauges(IntSupplier inFlight, ToIntFunction<Priority> queued) {
        // Strong references: the suppliers are lambdas nothing else holds.
        Gauge.builder("mvrefresh.refresh.in.flight", inFlight, supplier -> supplier.getAsInt())
                .description("Refreshes running right now")
                .strongReference(true)
                .register(registry);
        for (Priority priority : Priority.values()) {
            Gauge.builder("mvrefresh.queue.depth", queued, count -> count.applyAsInt(priority))
                    .description("Runs waiting for a slot, by the view's configured priority")
                    .tag("priority", priority.label())
                    .strongReference(true)
                    .register(registry);
        }
    }

    /** How long a run waited between being queued and starting ({@code mvrefresh_queue_wait_seconds}). */
    public void queueWait(Priority priority, Duration waited) {
        Timer.builder("mvrefresh.queue.wait")
                .description("Time from queued to started, by the view's configured priority")
                .tags(Tags.of("priority", priority.label()))
                .register(registry)
                .record(waited.isNegative() ? Duration.ZERO : waited);
    }

    /**
     * Records one refresh that reached PostgreSQL. A run with no REFRESH attempted (skipped, view
     * missing) is not a refresh and is not timed. The view is a label only with
     * {@code mvrefresh.metrics.per-view-histograms}: a histogram per view is some 20 series each.
     */
    public void refreshFinished(String view, Priority priority, AppliedMode mode, Outcome outcome, Duration took) {
        Tags tags = Tags.of("priority", priority.label(), "mode", mode.label(), "outcome", outcome.label());
        Timer.builder(REFRESH_DURATION)
                .description("Time one REFRESH MATERIALIZED VIEW took, by outcome")
                .tags(perView ? tags.and("view", view) : tags)
                .register(registry)
                .record(took);
    }
}
