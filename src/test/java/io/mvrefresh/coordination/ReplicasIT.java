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

    private static final String DATABASE = io.mvrefresh.support.TestRun.database("it_replicas");
    private static final Duration INTERVAL = Duration.ofSeconds(2);
    /** Views on the interval alone; slow.mv_downstream reads slow.mv_upstream and is also refreshed by its cascades. */
    private static final List<String> VIEWS = List.of("public.mv_metric_summary", "public.mv_brand_daily_metrics",
            "slow.mv_upstream");

    @AfterAll
    static void dropDatabase() {
        Postgres.dropDatabase(DATABASE);
    }

    private static List<String> settings(String instance) {
        return List.of(
                "mvrefresh.instance=" + instance,
                "mvrefresh.discovery.schemas=public,slow",
                "mvrefresh.discovery.include=mv_metric_summary,mv_brand_daily_metrics,mv_upstream,mv_downstream",
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
            // Both replicas run side by side until each view was refreshed several times by both together.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .until(() -> java.util.stream.Stream.concat(VIEWS.stream(), java.util.stream.Stream.of("slow.mv_downstream"))
                            .allMatch(view -> postgres.count("SELECT count(*) FROM mvrefresh.refresh_run"
                                    + " WHERE view = ? AND outcome = 'success'", view) > 6)
                            && postgres.count(
                                    "SELECT count(DISTINCT instance) FROM mvrefresh.refresh_run WHERE outcome = 'success'") == 2);
            assertThat(first.isAlive()).as(first.output()).isTrue();
            assertThat(second.isAlive()).as(second.output()).isTrue();
        }

        for (String view : VIEWS) {
            List<Map<String, Object>> successes = postgres
                    .rows("SELECT instance, started_at, finished_at FROM mvrefresh.refresh_run"
                            + " WHERE view = ? AND outcome = 'success' ORDER BY started_at", view);
            assertThat(successes).as("refreshes of %s", view).hasSizeGreaterThan(4);
            for (int i = 1; i < successes.size(); i++) {
                Map<String, Object> previous = successes.get(i - 1);
                Map<String, Object> next = successes.get(i);
                assertThat(RunIntervals.overlap(previous, next)).as("%s refreshed twice at once", view).isFalse();
                // The shared schedule: the next refresh, by whichever replica, starts no sooner than an interval
                // after the previous one ended (both times are read from the same clock and stored as written).
                assertThat(Duration.between(RunIntervals.finished(previous), RunIntervals.started(next)))
                        .as("gap between refreshes %d and %d of %s", i - 1, i, view)
                        .isGreaterThanOrEqualTo(INTERVAL);
            }
        }
        // A reader never refreshes while its source does, whichever replicas run them.
        List<Map<String, Object>> sources = postgres
                .rows("SELECT id, instance, started_at, finished_at FROM mvrefresh.refresh_run"
                        + " WHERE view = 'slow.mv_upstream' AND outcome = 'success'");
        List<Map<String, Object>> readers = postgres
                .rows("SELECT id, instance, started_at, finished_at FROM mvrefresh.refresh_run"
                        + " WHERE view = 'slow.mv_downstream' AND outcome = 'success'");
        for (Map<String, Object> source : sources) {
            for (Map<String, Object> reader : readers) {
                assertThat(RunIntervals.overlap(source, reader))
                        .as("reader run %s (%s) overlaps source run %s (%s)", reader.get("id"),
                                reader.get("instance"), source.get("id"), source.get("instance"))
                        .isFalse();
            }
        }
        assertThat(postgres.column("SELECT DISTINCT instance FROM mvrefresh.refresh_run WHERE outcome = 'success' ORDER BY 1"))
                .as("both replicas refreshed views").containsExactly("replica-1", "replica-2");
    }
}
