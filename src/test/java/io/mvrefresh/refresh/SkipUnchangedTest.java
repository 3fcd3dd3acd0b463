package io.mvrefresh.refresh;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import io.mvrefresh.catalog.Catalog;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.scheduling.ViewSnapshot;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(SkipUnchangedTest.Profile.class)
class SkipUnchangedTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.include",
                    "mv_reading*,mv_event_counts,mv_tracked_function,mv_untracked_function,mv_measurement_totals",
                    "mvrefresh.defaults.interval", "1h",
                    // Plain refreshes give the view a new filenode: proof of whether REFRESH ran.
                    "mvrefresh.defaults.mode", "blocking");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("change_detection");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    MutableClock clock;

    @Inject
    Catalog catalog;

    @BeforeEach
    void startupRefreshesAreDone() {
        awaitStartupRefreshes(dispatcher);
    }

    /**
     * Lets an hour pass, ticks, and answers how the view's next scheduled run ended: a success is
     * a row of refresh_run, a skip only a count on the view (history shows work done).
     */
    private String nextScheduledOutcome(String view) {
        int before = POSTGRES.runsOf(view).size();
        long skipsBefore = skipsUnchanged(view);
        clock.advance(Duration.ofMinutes(61));
        io.mvrefresh.support.Refreshes.tickAndSettle(dispatcher);
        List<Map<String, Object>> runs = POSTGRES.runsOf(view);
        long skips = skipsUnchanged(view);
        assertThat(runs.size() - before + skips - skipsBefore).as("runs of %s in one interval", view).isEqualTo(1);
        if (skips > skipsBefore) {
            assertThat(POSTGRES.value("SELECT last_skip_reason FROM mvrefresh.view_state WHERE view = ?", view))
                    .isEqualTo("unchanged");
            return "skipped:unchanged";
        }
        return (String) runs.getLast().get("outcome");
    }

    private static long skipsUnchanged(String view) {
        return POSTGRES.count("SELECT coalesce(max(skips_unchanged), 0) FROM mvrefresh.view_state WHERE view = ?", view);
    }

    private boolean idle(String view) {
        var status = dispatcher.snapshot(ViewId.parse(view).orElseThrow()).orElseThrow();
        return status.queuedRunId() == null && status.runningRunId() == null;
    }

    private static Object filenode(String view) {
        return POSTGRES.value("SELECT pg_relation_filenode(?::regclass)", view);
    }

    /** Writes become visible in pg_stat only once the writer's statistics are flushed. */
    private static void awaitStatisticsShowWritesTo(String table, long writesBefore) {
        await().atMost(Duration.ofSeconds(15)).until(() -> writes(table) > writesBefore);
    }

    private static long writes(String table) {
        return POSTGRES.count("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint FROM pg_stat_all_tables"
                + " WHERE relid IN (SELECT relid FROM pg_partition_tree(?::regclass) UNION SELECT ?::regclass)", table, table);
    }

    @Test
    void shouldSkipWithoutRefreshingWhenNothingChangedAndRefreshAfterAnInsertOrTruncate() {
        String view = "public.mv_reading_totals";
        Object filenode = filenode(view);

        assertThat(nextScheduledOutcome(view)).isEqualTo("skipped:unchanged");
        assertThat(filenode(view)).as("no REFRESH executed").isEqualTo(filenode);

        long writes = writes("readings");
        POSTGRES.execute("INSERT INTO readings VALUES (1000, current_date, 5)");
        awaitStatisticsShowWritesTo("readings", writes);
        assertThat(nextScheduledOutcome(view)).isEqualTo("success");
        assertThat(filenode(view)).isNotEqualTo(filenode);

        assertThat(nextScheduledOutcome(view)).isEqualTo("skipped:unchanged");

        // TRUNCATE moves no counter, only the table's filenode.
        filenode = filenode(view);
        POSTGRES.execute("TRUNCATE readings");
        assertThat(nextScheduledOutcome(view)).isEqualTo("success");
        assertThat(POSTGRES.count("SELECT count(*) FROM mv_reading_totals")).isZero();
        assertThat(filenode(view)).isNotEqualTo(filenode);
    }

    @Test
    void shouldTreatCountersThatWentDownAsChanged() {
        String view = "public.mv_tracked_function";
        assertThat(nextScheduledOutcome(view)).isEqualTo("skipped:unchanged");

        POSTGRES.execute("SELECT pg_stat_reset_single_table_counters('readings'::regclass)");

        assertThat(nextScheduledOutcome(view)).as("reads readings through a BEGIN ATOMIC function").isEqualTo("success");
    }

    @Test
    void shouldSeeWritesToAnyPartition() {
        String view = "public.mv_event_counts";
        assertThat(nextScheduledOutcome(view)).isEqualTo("skipped:unchanged");

        long writes = writes("events");
        POSTGRES.execute("UPDATE events SET id = id + 1000 WHERE bucket = 75");
        awaitStatisticsShowWritesTo("events", writes);

        assertThat(nextScheduledOutcome(view)).isEqualTo("success");
    }

    @Test
    void shouldRefreshAfterAPlainViewItReadsWasReplacedThoughNoTableWasWritten() {
        String view = "public.mv_reading_large";
        forceRefresh(view).statusCode(200).body("outcome", equalTo("success"));
        assertThat(nextScheduledOutcome(view)).isEqualTo("skipped:unchanged");

        POSTGRES.execute("CREATE OR REPLACE VIEW large_readings AS SELECT id, value FROM readings WHERE value > 10");
        catalog.rescan().invoke(dispatcher::applyCatalog).await().atMost(Duration.ofSeconds(10));

        assertThat(nextScheduledOutcome(view)).isEqualTo("success");
        assertThat(POSTGRES.count("SELECT readings FROM mv_reading_large"))
                .isEqualTo(POSTGRES.count("SELECT count(*) FROM readings WHERE value > 10"));
    }

    @Test
    void shouldSeeWritesIntoAnInheritanceChild() {
        String view = "public.mv_measurement_totals";
        assertThat(nextScheduledOutcome(view)).isEqualTo("skipped:unchanged");

        long writes = writes("measurements_2026");
        POSTGRES.execute("INSERT INTO measurements_2026 SELECT g, 1 FROM generate_series(1000, 1999) g");
        awaitStatisticsShowWritesTo("measurements_2026", writes);

        assertThat(nextScheduledOutcome(view)).as("the child's rows are the parent's").isEqualTo("success");
        assertThat(POSTGRES.count("SELECT measurements FROM mv_measurement_totals")).isEqualTo(1050);
    }

    @Test
    void shouldRefreshAfterAStatisticsResetEvenWhenTheCountersClimbBackToTheStoredValues() {
        String view = "public.mv_reading_totals";
        long before = writes("readings");
        POSTGRES.execute("INSERT INTO readings SELECT 30000 + g, current_date, 1 FROM generate_series(1, 3) g");
        awaitStatisticsShowWritesTo("readings", before);
        forceRefresh(view).statusCode(200).body("outcome", equalTo("success"));
        long writes = writes("readings");

        // Reset, then exactly as many writes as the counters showed at the refresh: they are back
        // where the stored fingerprint has them, while the table changed.
        POSTGRES.execute("SELECT pg_stat_reset_single_table_counters('readings'::regclass)");
        await().atMost(Duration.ofSeconds(15)).until(() -> writes("readings") == 0);
        POSTGRES.execute("INSERT INTO readings SELECT 20000 + g, current_date, 1 FROM generate_series(1, " + writes + ") g");
        await().atMost(Duration.ofSeconds(15)).until(() -> writes("readings") == writes);

        assertThat(nextScheduledOutcome(view)).isEqualTo("success");
    }

    @Test
    void shouldNeverSkipViewsWhoseResultChangesWithoutAWrite() {
        for (String view : List.of("public.mv_readings_today", "public.mv_readings_recent", "public.mv_readings_sampled",
                "public.mv_untracked_function")) {
            assertThat(nextScheduledOutcome(view)).as(view).isEqualTo("success");
        }
    }

    @Test
    void shouldSayWhyAViewIsNotSkippable() {
        given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN).when().get("/admin/views")
                .then().statusCode(200)
                .body("find { it.name == 'public.mv_readings_today' }.notSkippableBecause",
                        contains("uses CURRENT_DATE, whose value changes with time"))
                .body("find { it.name == 'public.mv_readings_recent' }.notSkippableBecause", hasItem(startsWith("calls now()")))
                .body("find { it.name == 'public.mv_readings_sampled' }.notSkippableBecause",
                        hasItem(startsWith("calls random(), a volatile function")))
                .body("find { it.name == 'public.mv_untracked_function' }.notSkippableBecause",
                        hasItem(startsWith("calls reading_count_untracked(), whose body PostgreSQL does not track")))
                .body("find { it.name == 'public.mv_tracked_function' }.notSkippableBecause", empty())
                .body("find { it.name == 'public.mv_reading_totals' }.notSkippableBecause", empty());
    }

    @Test
    void shouldShowAWriteWhoseCountsArePublishedLateWithinTheStatisticsDelayOfTheCheck() throws Exception {
        String view = "public.mv_tracked_function";
        // The first request of a test run is slow (its client starts up): not in the second that matters below.
        forceRefresh(view).statusCode(200).body("outcome", equalTo("success"));
        // One session, kept open as an application's pool keeps it.
        try (Connection writer = POSTGRES.connect(); Statement statement = writer.createStatement()) {
            int pid;
            try (var rows = statement.executeQuery("SELECT pg_backend_pid()")) {
                rows.next();
                pid = rows.getInt(1);
            }
            // Idle for over a second, so its next commit is counted at once.
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                    .until(() -> Boolean.TRUE.equals(POSTGRES.value(
                            "SELECT clock_timestamp() - state_change > interval '1100 milliseconds' FROM pg_stat_activity WHERE pid = ?",
                            pid)));
            long before = writes("readings");
            statement.execute("INSERT INTO readings VALUES (5001, current_date, 1)");
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(10)).until(() -> writes("readings") > before);
            forceRefresh(view).statusCode(200).body("outcome", equalTo("success"));
            // A second commit within a second of the first is counted only when the idle session's
            // timer fires, up to ten seconds later: the hourly check that comes now finds nothing.
            // (On a machine slow enough for that second to have passed, it is counted at once and
            // the check refreshes: the view shows it either way.)
            statement.execute("INSERT INTO readings VALUES (5002, current_date, 1)");
            long skips = skipsUnchanged(view);
            clock.advance(Duration.ofMinutes(61));
            tickAndSettle(dispatcher);
            if (skipsUnchanged(view) > skips) {
                Instant checked = clock.instant();
                ViewSnapshot snapshot = dispatcher.snapshot(ViewId.parse(view).orElseThrow()).orElseThrow();
                assertThat(snapshot.nextDue()).as("checked again one statistics delay later, not an hour")
                        .isBeforeOrEqualTo(checked.plus(RefreshExecutor.STATISTICS_DELAY));
                await().atMost(Duration.ofSeconds(20)).until(() -> writes("readings") >= before + 2);
                clock.advance(RefreshExecutor.STATISTICS_DELAY);
                tickAndSettle(dispatcher);
            }
            assertThat(POSTGRES.count("SELECT readings FROM mv_tracked_function"))
                    .as("the late write is in the view within one statistics delay of the check")
                    .isEqualTo(POSTGRES.count("SELECT count(*) FROM readings"));
        }
    }
}
