package io.mvrefresh.changes;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.nullValue;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.scheduling.ViewSnapshot;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Gate;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Freshness targets against the real server: writes make a watched view due, nothing written means
 * nothing run, {@code min-interval} spaces refreshes, and a view whose result changes without
 * writes is refreshed on its target's period. The change watch is driven by hand (its periodic
 * round is an hour apart here) and time by the settable clock.
 */
@QuarkusTest
@TestProfile(ChangeDrivenRefreshTest.Profile.class)
class ChangeDrivenRefreshTest {

    static final String COUNTS = "watched.mv_event_counts";
    static final String TOTALS = "watched.mv_measurement_totals";
    static final String RECENT = "watched.mv_recent_events";
    static final Duration TARGET = Duration.ofMinutes(10);
    static final Duration MIN_INTERVAL = TARGET.dividedBy(2);

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "watched",
                    "mvrefresh.changes.poll-interval", "1h",
                    "mvrefresh.views.\"watched.mv_audited\".interval", "24h",
                    "mvrefresh.views.\"watched.mv_audit_fails\".interval", "24h",
                    "mvrefresh.views.\"watched.mv_event_counts\".max-staleness", "10m",
                    "mvrefresh.views.\"watched.mv_measurement_totals\".max-staleness", "10m",
                    "mvrefresh.views.\"watched.mv_measurements_2026\".max-staleness", "10m",
                    "mvrefresh.views.\"watched.mv_recent_events\".max-staleness", "10m",
                    "mvrefresh.views.\"watched.mv_audited\".after-sql",
                    "INSERT INTO watched.refresh_audit (view_name) VALUES ('watched.mv_audited')",
                    "mvrefresh.views.\"watched.mv_audit_fails\".after-sql",
                    "INSERT INTO watched.refresh_audit (view_name) VALUES (NULL)");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("change_driven");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    ChangeWatcher watcher;

    @Inject
    MutableClock clock;

    @Inject
    Pool pool;

    @BeforeEach
    void startupRefreshesAreDone() {
        awaitStartupRefreshes(dispatcher);
    }

    private ViewSnapshot snapshot(String view) {
        return dispatcher.snapshot(ViewId.parse(view).orElseThrow()).orElseThrow();
    }

    private static long runs(String view) {
        return POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE view = ?", view);
    }

    private static Instant lastStart(String view) {
        return ((OffsetDateTime) POSTGRES.value(
                "SELECT max(started_at) FROM mvrefresh.refresh_run WHERE view = ? AND outcome = 'success'",
                view)).toInstant();
    }

    /** Change-watch rounds until one sees what was written to the view's tables (the writer's counts are published at its commit). */
    private void awaitChangeSeen(String view) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            watcher.poll().await().atMost(Duration.ofSeconds(10));
            return snapshot(view).changedSince() != null;
        });
    }

    /** Moves the clock past the view's minimum interval, so a change makes it due at once. */
    private void letMinIntervalPass() {
        clock.advance(MIN_INTERVAL.plusSeconds(1));
    }

    @Test
    void shouldStampAChangeWhenTheCountersArriveNotWhenTheRoundBegan() {
        letMinIntervalPass();
        tickAndSettle(dispatcher);
        assertThat(snapshot(COUNTS).changedSince()).isNull();
        // A clock a minute later at every reading: the round's start and the counters' arrival differ.
        Instant base = clock.instant().plus(Duration.ofHours(1));
        List<Instant> readings = new CopyOnWriteArrayList<>();
        Clock stepping = new Clock() {

            @Override
            public Instant instant() {
                Instant reading = base.plus(Duration.ofMinutes(readings.size()));
                readings.add(reading);
                return reading;
            }

            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }
        };

        // A watcher that has seen nothing yet reports every watched relation once, as changed.
        new ChangeWatcher(pool, dispatcher, stepping).poll().await().atMost(Duration.ofSeconds(10));

        assertThat(readings).hasSizeGreaterThanOrEqualTo(2);
        assertThat(snapshot(COUNTS).changedSince())
                .as("a refresh starting between the two readings did not see these counters")
                .isEqualTo(readings.getLast()).isAfter(readings.getFirst());
    }

    @Test
    void shouldSeeNoChangeWhenAPartitionedTableAndOneOfItsPartitionsAreBothWatchedAndNothingIsWritten() {
        String partition = "watched.mv_measurements_2026";
        letMinIntervalPass();
        tickAndSettle(dispatcher);
        watcher.poll().await().atMost(Duration.ofSeconds(10));
        tickAndSettle(dispatcher);
        long checks = checksAndRuns(TOTALS) + checksAndRuns(partition);

        for (int round = 0; round < 3; round++) {
            letMinIntervalPass();
            watcher.poll().await().atMost(Duration.ofSeconds(10));
            tickAndSettle(dispatcher);
        }

        assertThat(checksAndRuns(TOTALS) + checksAndRuns(partition)).as("no write, not even a check").isEqualTo(checks);
        assertThat(snapshot(TOTALS).lag()).isEqualTo(Duration.ZERO);
        assertThat(snapshot(partition).lag()).isEqualTo(Duration.ZERO);
    }

    private static long checksAndRuns(String view) {
        return runs(view)
                + POSTGRES.count("SELECT coalesce(max(skips_unchanged), 0) FROM mvrefresh.view_state WHERE view = ?", view);
    }

    @Test
    void shouldRefreshAWatchedViewAfterAWriteAndNeverWithoutOne() {
        letMinIntervalPass();
        tickAndSettle(dispatcher);
        long runs = runs(COUNTS);
        Object skips = POSTGRES.value("SELECT skips_unchanged FROM mvrefresh.view_state WHERE view = ?", COUNTS);
        for (int round = 0; round < 3; round++) {
            watcher.poll().await().atMost(Duration.ofSeconds(10));
            tickAndSettle(dispatcher);
        }
        assertThat(runs(COUNTS)).as("no write, no refresh and no history row").isEqualTo(runs);
        assertThat(POSTGRES.value("SELECT skips_unchanged FROM mvrefresh.view_state WHERE view = ?", COUNTS))
                .as("not even a check").isEqualTo(skips);
        assertThat(snapshot(COUNTS).lag()).isEqualTo(Duration.ZERO);

        POSTGRES.execute("INSERT INTO watched.events VALUES (100, 'written')");
        awaitChangeSeen(COUNTS);
        given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN).when().get("/admin/views/{view}", COUNTS)
                .then().statusCode(200)
                .body("lagSeconds", greaterThanOrEqualTo(0))
                .body("schedule", equalTo("on change (max-staleness 10m)"))
                .body("interval", nullValue())
                .body("freshness.maxStaleness", equalTo("10m"))
                .body("freshness.minInterval", equalTo("5m"))
                .body("freshness.watched", equalTo(true));
        tickAndSettle(dispatcher);

        assertThat(runs(COUNTS)).isEqualTo(runs + 1);
        assertThat(POSTGRES.count("SELECT events FROM watched.mv_event_counts WHERE kind = 'written'")).isEqualTo(1);
        assertThat(snapshot(COUNTS).changedSince()).as("caught up").isNull();
        assertThat(snapshot(COUNTS).expectedDuration()).as("learned from its successes").isNotNull();
    }

    @Test
    void shouldTurnABurstOfWritesIntoOneRefreshPerMinInterval() {
        letMinIntervalPass();
        POSTGRES.execute("INSERT INTO watched.events VALUES (200, 'burst')");
        awaitChangeSeen(COUNTS);
        tickAndSettle(dispatcher);
        Instant firstStart = lastStart(COUNTS);
        long runs = runs(COUNTS);

        for (int write = 1; write <= 3; write++) {
            POSTGRES.execute("INSERT INTO watched.events VALUES (" + (200 + write) + ", 'burst')");
            awaitChangeSeen(COUNTS);
            tickAndSettle(dispatcher);
        }
        assertThat(runs(COUNTS)).as("writes within min-interval of the last start wait for it").isEqualTo(runs);
        Instant due = snapshot(COUNTS).nextDue();
        assertThat(Duration.between(firstStart, due).minus(MIN_INTERVAL).abs()).as("due %s after %s", due, firstStart)
                .isLessThan(Duration.ofSeconds(1));

        clock.advance(Duration.between(clock.instant(), due).plusMillis(100));
        tickAndSettle(dispatcher);
        assertThat(runs(COUNTS)).as("the burst became one refresh").isEqualTo(runs + 1);
        assertThat(POSTGRES.count("SELECT events FROM watched.mv_event_counts WHERE kind = 'burst'")).isEqualTo(4);
    }

    @Test
    void shouldKeepWatchingEveryTableWhileDdlHoldsAPartitionLocked() {
        letMinIntervalPass();
        tickAndSettle(dispatcher);
        // ACCESS EXCLUSIVE on one partition, as an ALTER TABLE or VACUUM FULL holds it: a watcher that
        // locked partitions (pg_partition_tree) would wait behind it and see no change anywhere.
        try (Gate ddl = Gate.close(POSTGRES, "watched.measurements_2025")) {
            POSTGRES.execute("INSERT INTO watched.events VALUES (9300, 'during-ddl')");
            awaitChangeSeen(COUNTS);
            POSTGRES.execute("UPDATE watched.measurements_2026 SET value = value");
            awaitChangeSeen(TOTALS);
        }
        POSTGRES.execute("DELETE FROM watched.events WHERE id = 9300");
        letMinIntervalPass();
        awaitChangeSeen(COUNTS);
        tickAndSettle(dispatcher);
    }

    @Test
    void shouldSeeWritesToALeafPartitionAndTruncates() {
        letMinIntervalPass();
        POSTGRES.execute("INSERT INTO watched.measurements_2026 VALUES ('2026-07-01', 40)");
        awaitChangeSeen(TOTALS);
        tickAndSettle(dispatcher);
        assertThat(POSTGRES.count("SELECT total FROM watched.mv_measurement_totals")).isEqualTo(43);

        letMinIntervalPass();
        // TRUNCATE moves no write counter, only the partition's filenode.
        POSTGRES.execute("TRUNCATE watched.measurements_2025");
        awaitChangeSeen(TOTALS);
        tickAndSettle(dispatcher);
        assertThat(POSTGRES.count("SELECT total FROM watched.mv_measurement_totals")).isEqualTo(42);
    }

    @Test
    void shouldRefreshAViewWhoseResultChangesWithoutWritesOnItsTargetPeriod() {
        ViewSnapshot recent = snapshot(RECENT);
        assertThat(recent.watchable()).isFalse();
        given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN).when().get("/admin/views/{view}", RECENT)
                .then().statusCode(200)
                .body("lagSeconds", nullValue())
                .body("freshness.watched", equalTo(false))
                .body("freshness.refreshedEvery", equalTo("10m"))
                .body("notSkippableBecause[0]", containsString("now"));

        Instant due = recent.nextDue();
        assertThat(Duration.between(lastStart(RECENT), due).minus(TARGET).abs()).isLessThan(Duration.ofSeconds(1));
        long runs = runs(RECENT);
        clock.advance(Duration.between(clock.instant(), due).minusSeconds(5));
        tickAndSettle(dispatcher);
        assertThat(runs(RECENT)).as("not before its target period").isEqualTo(runs);
        clock.advance(Duration.ofSeconds(6));
        tickAndSettle(dispatcher);
        assertThat(runs(RECENT)).isEqualTo(runs + 1);
    }

    @Test
    void shouldCommitAfterSqlWithTheRefreshAndRollBackTheRefreshWhenItFails() {
        long audited = POSTGRES.count("SELECT count(*) FROM watched.refresh_audit WHERE view_name = 'watched.mv_audited'");
        POSTGRES.execute("INSERT INTO watched.events VALUES (300, 'audited')");
        long events = POSTGRES.count("SELECT count(*) FROM watched.events");

        forceRefresh("watched.mv_audited").statusCode(200).body("outcome", equalTo("success"));
        assertThat(POSTGRES.count("SELECT count(*) FROM watched.refresh_audit WHERE view_name = 'watched.mv_audited'"))
                .isEqualTo(audited + 1);
        assertThat(POSTGRES.count("SELECT events FROM watched.mv_audited")).isEqualTo(events);

        long before = POSTGRES.count("SELECT events FROM watched.mv_audit_fails");
        assertThat(before).isLessThan(events);
        forceRefresh("watched.mv_audit_fails").statusCode(200)
                .body("outcome", equalTo("failed"))
                .body("error", containsString("after-sql"))
                .body("error", containsString("view_name"));
        assertThat(POSTGRES.count("SELECT events FROM watched.mv_audit_fails")).as("the refresh was rolled back")
                .isEqualTo(before);
        assertThat(POSTGRES.count("SELECT count(*) FROM watched.refresh_audit WHERE view_name IS NULL")).isZero();
    }
}
