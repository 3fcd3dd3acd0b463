package io.mvrefresh.metrics;

import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.mvrefresh.vocabulary.SkipReason;
import io.prometheus.client.Collector;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Predicate;
import java.util.function.ToDoubleBiFunction;

/**
 * The per-view series: gauges and the skipped-runs counter. The scheduler publishes a view's values
 * when they change and counts its skipped runs; a scrape reads them (staleness and lag against the
 * clock) without asking the scheduler anything.
 *
 * <p>Cardinality is kept to six gauges per view: staleness, last success, last fresh, last refresh
 * duration, lag (views whose changes can be detected) and either the schedule's period or the
 * freshness target; plus {@code mvrefresh_refresh_skipped_total} for each reason the view's runs
 * were skipped for (usually {@code unchanged} alone). The states that are the exception exist only
 * while they hold:
 * {@code mvrefresh_view_paused 1} while paused, {@code mvrefresh_view_enabled 0} while disabled,
 * {@code mvrefresh_view_missing 1} while missing, {@code mvrefresh_view_consecutive_failures} while
 * its refreshes fail. Alerts filter with {@code unless}.
 *
 * <p>One Prometheus collector renders them all in one pass over the views, rather than a
 * Micrometer meter per view and series: at 5,000 views that is 35,000 meters, and a scrape spent
 * most of its time and some 40 MB of garbage looking each one up and converting its name and tags
 * (docs/benchmarks.md, "Scale"). The families are named and described as Micrometer named them, and
 * a view's series, counters included, go when the view does.
 */
@ApplicationScoped
public class ViewMetrics {

    /**
     * One view's values as last published.
     *
     * @param period the schedule's period; empty for a view refreshed on changes alone
     * @param target the freshness target ({@code max-staleness}); empty when none
     * @param watchable whether changes to what the view reads can be detected (lag is exported)
     * @param changedSince the first change not refreshed yet, when one is known
     */
    public record Values(Instant freshAsOf, Instant lastSuccessAt, Duration lastRefreshDuration, Optional<Duration> period,
            Optional<Duration> target, boolean watchable, Instant changedSince, boolean paused, boolean enabled, boolean missing,
            int consecutiveFailures) {
    }

    private static final List<String> VIEW_LABEL = List.of("view");
    private static final List<String> SKIP_LABELS = List.of("reason", "view");
    private static final String SKIPPED = "mvrefresh_refresh_skipped";
    private static final String SKIPPED_SAMPLE = SKIPPED + "_total";
    private static final String SKIPPED_HELP = "Runs that executed no REFRESH, by reason";
    private static final SkipReason[] SKIP_REASONS = SkipReason.values();

    /** Each family: its name, help, when a view has the series, and its value. */
    private enum Series {

        STALENESS("mvrefresh_view_staleness_seconds",
                "Seconds since the view was last known fresh (refreshed, or checked unchanged)",
                values -> true,
                (values, now) -> values.freshAsOf() == null ? Double.NaN : secondsBetween(values.freshAsOf(), now)), LAST_SUCCESS(
                        "mvrefresh_view_last_success_timestamp_seconds",
                        "When the view was last refreshed successfully (Unix time)",
                        values -> true, (values, now) -> epochSeconds(values.lastSuccessAt())), LAST_FRESH(
                                "mvrefresh_view_last_fresh_timestamp_seconds",
                                "When the view was last known fresh: a successful refresh, or a check that found nothing changed (Unix time)",
                                values -> true, (values, now) -> epochSeconds(values.freshAsOf())), LAST_DURATION(
                                        "mvrefresh_view_last_refresh_duration_seconds",
                                        "How long the view's last successful refresh took",
                                        values -> values.lastRefreshDuration() != null,
                                        (values, now) -> values.lastRefreshDuration().toMillis() / 1000.0), PERIOD(
                                                "mvrefresh_view_interval_seconds",
                                                "The view's refresh period: its interval, or its cron schedule's current period",
                                                values -> values.period().isPresent(),
                                                (values, now) -> values.period().get().toMillis() / 1000.0), TARGET(
                                                        "mvrefresh_view_freshness_target_seconds",
                                                        "The view's freshness target (max-staleness): how far it may lag its base tables",
                                                        values -> values.target().isPresent(),
                                                        (values, now) -> values.target().get().toMillis() / 1000.0), LAG(
                                                                "mvrefresh_view_lag_seconds",
                                                                "How far the view lags its base tables as far as mvrefresh can see: time since the first change not refreshed yet",
                                                                Values::watchable,
                                                                (values, now) -> values.changedSince() == null
                                                                        ? 0.0
                                                                        : secondsBetween(values.changedSince(), now)), PAUSED(
                                                                                "mvrefresh_view_paused",
                                                                                "1 while the view is paused (absent otherwise)",
                                                                                Values::paused, (values, now) -> 1.0), ENABLED(
                                                                                        "mvrefresh_view_enabled",
                                                                                        "0 while the view is disabled (absent otherwise)",
                                                                                        values -> !values.enabled(),
                                                                                        (values, now) -> 0.0), MISSING(
                                                                                                "mvrefresh_view_missing",
                                                                                                "1 while a configured view does not exist in PostgreSQL (absent otherwise)",
                                                                                                Values::missing,
                                                                                                (values, now) -> 1.0), FAILURES(
                                                                                                        "mvrefresh_view_consecutive_failures",
                                                                                                        "Refreshes of the view that failed in a row, while it is failing (absent otherwise)",
                                                                                                        values -> values
                                                                                                                .consecutiveFailures() > 0,
                                                                                                        (values, now) -> values
                                                                                                                .consecutiveFailures());

        final String metric;
        final String help;
        final Predicate<Values> present;
        final ToDoubleBiFunction<Values, Instant> value;

        Series(String metric, String help, Predicate<Values> present, ToDoubleBiFunction<Values, Instant> value) {
            this.metric = metric;
            this.help = help;
            this.present = present;
            this.value = value;
        }
    }

    private static final Series[] SERIES = Series.values();

    private final Clock clock;
    private final Map<String, Published> published = new ConcurrentHashMap<>();

    public ViewMetrics(PrometheusMeterRegistry registry, Clock clock) {
        this.clock = clock;
        new Families().register(registry.getPrometheusRegistry());
    }

    /** Publishes {@code view}'s current values; the series that apply to them appear at the next scrape. */
    public void publish(String view, Values values) {
        published.computeIfAbsent(view, Published::new).values = values;
    }

    /** Counts one run of {@code view} that executed no REFRESH ({@code mvrefresh_refresh_skipped_total}). */
    public void skipped(String view, SkipReason reason) {
        published.computeIfAbsent(view, Published::new).skipped.incrementAndGet(reason.ordinal());
    }

    /** Removes the series of every view not in {@code known}. */
    public void retainOnly(Set<String> known) {
        published.keySet().retainAll(known);
    }

    /** What a scrape renders, read from the published values in one pass. */
    List<Collector.MetricFamilySamples> collect() {
        Instant now = clock.instant();
        List<List<Collector.MetricFamilySamples.Sample>> samples = new ArrayList<>(SERIES.length);
        for (int i = 0; i < SERIES.length; i++) {
            samples.add(new ArrayList<>());
        }
        List<Collector.MetricFamilySamples.Sample> skipped = new ArrayList<>();
        for (Published view : published.values()) {
            Values values = view.values;
            // A run can be counted before the scheduler first publishes the view's values.
            if (values != null) {
                for (Series series : SERIES) {
                    if (series.present.test(values)) {
                        samples.get(series.ordinal()).add(new Collector.MetricFamilySamples.Sample(series.metric, VIEW_LABEL,
                                view.labelValues, series.value.applyAsDouble(values, now)));
                    }
                }
            }
            for (SkipReason reason : SKIP_REASONS) {
                long count = view.skipped.get(reason.ordinal());
                if (count > 0) {
                    skipped.add(new Collector.MetricFamilySamples.Sample(SKIPPED_SAMPLE, SKIP_LABELS,
                            view.skipLabelValues.get(reason.ordinal()), count));
                }
            }
        }
        List<Collector.MetricFamilySamples> families = new ArrayList<>(SERIES.length);
        for (Series series : SERIES) {
            List<Collector.MetricFamilySamples.Sample> rendered = samples.get(series.ordinal());
            if (!rendered.isEmpty()) {
                families.add(new Collector.MetricFamilySamples(series.metric, Collector.Type.GAUGE, series.help, rendered));
            }
        }
        if (!skipped.isEmpty()) {
            families.add(new Collector.MetricFamilySamples(SKIPPED, Collector.Type.COUNTER, SKIPPED_HELP, skipped));
        }
        return families;
    }

    private static double epochSeconds(Instant instant) {
        return instant == null ? Double.NaN : instant.toEpochMilli() / 1000.0;
    }

    private static double secondsBetween(Instant from, Instant to) {
        return Math.max(0, Duration.between(from, to).toMillis() / 1000.0);
    }

    /** One view's label values, kept so a scrape does not build them again, its values and its skipped runs. */
    private static final class Published {

        final List<String> labelValues;
        final List<List<String>> skipLabelValues;
        final AtomicLongArray skipped = new AtomicLongArray(SKIP_REASONS.length);
        volatile Values values;

        Published(String view) {
            this.labelValues = List.of(view);
            List<List<String>> byReason = new ArrayList<>(SKIP_REASONS.length);
            for (SkipReason reason : SKIP_REASONS) {
                byReason.add(List.of(reason.label(), view));
            }
            this.skipLabelValues = List.copyOf(byReason);
        }
    }

    /** The collector Prometheus asks at every scrape. */
    private final class Families extends Collector {

        @Override
        public List<MetricFamilySamples> collect() {
            return ViewMetrics.this.collect();
        }
    }
}
