package io.mvrefresh.coordination;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.support.IsolatedDatabase;
import io.mvrefresh.support.PackagedApp;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RunIntervals;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Two mvrefresh replicas on one database, as every application pod carrying the sidecar is:
 * they must share the work, never refresh one view twice at once, and together keep one
 * replica's schedule.
 */
class ReplicasIT {

    private static final String DATABASE = "mvrefresh_it_replicas";
    private static final Duration INTERVAL = Duration.ofSeconds(2);
    private static final List<String> VIEWS = List.of("public.mv_metric_summary", "public.mv_brand_daily_metrics", "slow.mv_upstream");

    @AfterAll
    static void dropDatabase() {
        Postgres.dropDatabase(DATABASE);
    }

    private static List<String> settings(String instance) {
        return List.of(
                "mvrefresh.instance=" + instance,
                "mvrefresh.discovery.schemas=public,slow",
                "mvrefresh.discovery.include=mv_metric_summary,mv_brand_daily_metrics,mv_upstream",
                "mvrefresh.defaults.interval=" + INTERVAL.toSeconds() + "s",
                "mvrefresh.defaults.skip-unchanged=false",
                // Frequent ticks on both sides make them race for the same due views.
                "mvrefresh.scheduler.poll-interval=100ms");
    }

    @Test
    void shouldShareTheScheduleWithoutEverRefreshingAViewTwiceAtOnce() throws Exception {
        Postgres postgres = IsolatedDatabase.create(DATABASE, List.of("slow_views"));
        try (PackagedApp first = PackagedApp.start(DATABASE, settings("replica-1"));
                PackagedApp second = PackagedApp.start(DATABASE, settings("replica-2"))) {
            Thread.sleep(20_000); // both replicas run side by side for a while; nothing to poll for
            assertThat(first.isAlive()).as(first.output()).isTrue();
            assertThat(second.isAlive()).as(second.output()).isTrue();
        }

        for (String view : VIEWS) {
            List<Map<String, Object>> successes = postgres.rows("SELECT instance, started_at, finished_at FROM mvrefresh.refresh_run"
                    + " WHERE view = ? AND outcome = 'success' ORDER BY started_at", view);
            assertThat(successes).as("refreshes of %s", view).hasSizeGreaterThan(4);
            for (int i = 1; i < successes.size(); i++) {
                Map<String, Object> previous = successes.get(i - 1);
                Map<String, Object> next = successes.get(i);
                assertThat(RunIntervals.overlap(previous, next)).as("%s refreshed twice at once", view).isFalse();
                // One replica's schedule: the next refresh starts an interval after the previous one ended.
                assertThat(Duration.between(RunIntervals.finished(previous), RunIntervals.started(next)))
                        .as("gap between refreshes %d and %d of %s", i - 1, i, view)
                        .isGreaterThanOrEqualTo(INTERVAL.minusMillis(50));
            }
        }
        assertThat(postgres.column("SELECT DISTINCT instance FROM mvrefresh.refresh_run WHERE outcome = 'success' ORDER BY 1"))
                .as("both replicas refreshed views").containsExactly("replica-1", "replica-2");
    }
}
