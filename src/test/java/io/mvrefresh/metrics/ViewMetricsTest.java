package io.mvrefresh.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.mvrefresh.vocabulary.SkipReason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The per-view series as Prometheus receives them, in both formats it asks for. */
class ViewMetricsTest {

    private static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    private static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";

    /** Stopped, so values computed against it are exact. */
    private final Clock clock = Clock.fixed(Instant.parse("2026-06-01T12:00:00.250Z"), ZoneOffset.UTC);
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ViewMetrics metrics = new ViewMetrics(registry, clock);

    @Test
    void shouldRenderEachViewsSeriesWithStalenessAndLagAgainstTheClock() {
        Instant refreshed = clock.instant().minusSeconds(90);
        metrics.publish("public.mv_daily", new ViewMetrics.Values(refreshed, refreshed, Duration.ofMillis(1500),
                Optional.of(Duration.ofMinutes(5)), Optional.empty(), true, refreshed.plusSeconds(10), false, true, false, 0));

        String scraped = registry.scrape(OPEN_METRICS);

        assertThat(scraped)
                .contains("# TYPE mvrefresh_view_staleness_seconds gauge")
                .contains("# HELP mvrefresh_view_staleness_seconds Seconds since the view was last known fresh")
                .contains("mvrefresh_view_staleness_seconds{view=\"public.mv_daily\"} 90.0")
                .contains("mvrefresh_view_lag_seconds{view=\"public.mv_daily\"} 80.0")
                .contains("mvrefresh_view_last_refresh_duration_seconds{view=\"public.mv_daily\"} 1.5")
                .contains("mvrefresh_view_interval_seconds{view=\"public.mv_daily\"} 300.0")
                .contains("mvrefresh_view_last_success_timestamp_seconds{view=\"public.mv_daily\"} "
                        + refreshed.toEpochMilli() / 1000.0)
                .doesNotContain("mvrefresh_view_freshness_target_seconds")
                .doesNotContain("mvrefresh_view_paused")
                .doesNotContain("mvrefresh_view_consecutive_failures");
        assertThat(registry.scrape(TEXT)).contains("mvrefresh_view_staleness_seconds{view=\"public.mv_daily\",} 90.0");
    }

    @Test
    void shouldShowTheExceptionalStatesOnlyWhileTheyHold() {
        metrics.publish("public.mv_new",
                new ViewMetrics.Values(null, null, null, Optional.empty(), Optional.of(Duration.ofMinutes(10)),
                        false, null, true, false, true, 3));

        String scraped = registry.scrape(OPEN_METRICS);

        assertThat(scraped)
                .contains("mvrefresh_view_staleness_seconds{view=\"public.mv_new\"} NaN")
                .contains("mvrefresh_view_paused{view=\"public.mv_new\"} 1.0")
                .contains("mvrefresh_view_enabled{view=\"public.mv_new\"} 0.0")
                .contains("mvrefresh_view_missing{view=\"public.mv_new\"} 1.0")
                .contains("mvrefresh_view_consecutive_failures{view=\"public.mv_new\"} 3.0")
                .contains("mvrefresh_view_freshness_target_seconds{view=\"public.mv_new\"} 600.0")
                .doesNotContain("mvrefresh_view_lag_seconds")
                .doesNotContain("mvrefresh_view_interval_seconds");

        metrics.publish("public.mv_new", new ViewMetrics.Values(null, null, null, Optional.empty(), Optional.empty(), false, null,
                false, true, false, 0));

        assertThat(registry.scrape(OPEN_METRICS)).doesNotContain("mvrefresh_view_paused").doesNotContain("mvrefresh_view_enabled")
                .doesNotContain("mvrefresh_view_missing").doesNotContain("mvrefresh_view_consecutive_failures");
    }

    @Test
    void shouldDropTheSeriesOfViewsNoLongerKnown() {
        ViewMetrics.Values values = new ViewMetrics.Values(clock.instant(), clock.instant(), Duration.ofSeconds(1),
                Optional.empty(),
                Optional.empty(), false, null, false, true, false, 0);
        metrics.publish("public.mv_kept", values);
        metrics.publish("public.mv_dropped", values);

        metrics.retainOnly(Set.of("public.mv_kept"));

        assertThat(registry.scrape(OPEN_METRICS)).contains("view=\"public.mv_kept\"").doesNotContain("public.mv_dropped");
    }

    @Test
    void shouldCountSkippedRunsByReasonInTheSeriesMicrometerRendered() {
        metrics.publish("public.mv_daily", new ViewMetrics.Values(clock.instant(), clock.instant(), Duration.ofSeconds(1),
                Optional.of(Duration.ofMinutes(5)), Optional.empty(), false, null, false, true, false, 0));
        metrics.skipped("public.mv_daily", SkipReason.UNCHANGED);
        metrics.skipped("public.mv_daily", SkipReason.UNCHANGED);
        metrics.skipped("public.mv_daily", SkipReason.LOCKED_ELSEWHERE);

        assertThat(registry.scrape(OPEN_METRICS))
                .contains(
                        "# TYPE mvrefresh_refresh_skipped counter\n# HELP mvrefresh_refresh_skipped Runs that executed no REFRESH, by reason\n")
                .contains("mvrefresh_refresh_skipped_total{reason=\"unchanged\",view=\"public.mv_daily\"} 2.0\n")
                .contains("mvrefresh_refresh_skipped_total{reason=\"locked_elsewhere\",view=\"public.mv_daily\"} 1.0\n")
                .doesNotContain("reason=\"paused\"")
                .doesNotContain("mvrefresh_refresh_skipped_created");
        assertThat(registry.scrape(TEXT))
                .contains("# HELP mvrefresh_refresh_skipped_total Runs that executed no REFRESH, by reason\n"
                        + "# TYPE mvrefresh_refresh_skipped_total counter\n")
                .contains("mvrefresh_refresh_skipped_total{reason=\"unchanged\",view=\"public.mv_daily\",} 2.0\n");

        metrics.publish("public.mv_daily", new ViewMetrics.Values(clock.instant(), clock.instant(), Duration.ofSeconds(2),
                Optional.of(Duration.ofMinutes(5)), Optional.empty(), false, null, false, true, false, 0));
        metrics.skipped("public.mv_daily", SkipReason.UNCHANGED);

        assertThat(registry.scrape(OPEN_METRICS)).as("new values keep the count")
                .contains("mvrefresh_refresh_skipped_total{reason=\"unchanged\",view=\"public.mv_daily\"} 3.0\n");
    }

    @Test
    void shouldRenderOnlyTheCounterOfAViewSkippedBeforeItsValuesArePublished() {
        metrics.skipped("public.mv_new", SkipReason.PAUSED);

        assertThat(registry.scrape(OPEN_METRICS))
                .contains("mvrefresh_refresh_skipped_total{reason=\"paused\",view=\"public.mv_new\"} 1.0\n")
                .doesNotContain("mvrefresh_view_");
    }

    @Test
    void shouldDropTheSkippedCountsOfAViewNoLongerKnown() {
        metrics.skipped("public.mv_kept", SkipReason.UNCHANGED);
        metrics.skipped("public.mv_dropped", SkipReason.UNCHANGED);

        metrics.retainOnly(Set.of("public.mv_kept"));
        metrics.skipped("public.mv_kept", SkipReason.UNCHANGED);

        assertThat(registry.scrape(OPEN_METRICS))
                .contains("mvrefresh_refresh_skipped_total{reason=\"unchanged\",view=\"public.mv_kept\"} 2.0")
                .doesNotContain("public.mv_dropped");
    }
}
