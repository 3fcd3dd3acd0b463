package io.mvrefresh.cache;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.state.OwedInvalidationStore;
import io.mvrefresh.state.RunRecord;
import io.mvrefresh.state.StateStore;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RedisKeys;
import io.mvrefresh.support.TestRun;
import io.mvrefresh.vocabulary.AppliedMode;
import io.mvrefresh.vocabulary.Outcome;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a replica owed when it went away (a pod replaced by one with a new name, a killed
 * process) is taken over as soon as its presence lock can be taken, not a minute later; what a
 * live replica owes is left to it.
 */
@QuarkusTest
@TestProfile(OwedInvalidationTakeoverTest.Profile.class)
class OwedInvalidationTakeoverTest {

    static final String PREFIX = TestRun.redisPrefix("takeover");
    static final String VIEW = "public.mv_metric_summary";

    public static class Profile extends DatabaseProfile {

        @Override
        protected String redisPrefix() {
            return PREFIX;
        }

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.include", "mv_metric_summary",
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.views.\"public.mv_metric_summary\".invalidate.patterns", PREFIX + "summary:*");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    OwedInvalidations owed;

    @Inject
    RedisDataSource redis;

    @Inject
    StateStore states;

    @Inject
    OwedInvalidationStore owedStore;

    @Inject
    Pool pool;

    private RedisKeys keys;

    @BeforeEach
    void startupRefreshesAreDone() {
        awaitStartupRefreshes(dispatcher);
        keys = new RedisKeys(redis, PREFIX);
        keys.removeAll();
    }

    @AfterEach
    void removeOwnKeys() {
        keys.removeAll();
    }

    /** Marks the view's last refresh as owed, just now, by {@code owner}. */
    private static void owedBy(String owner) {
        // Names are the test's own constants, not input.
        POSTGRES.execute("UPDATE mvrefresh.view_state SET invalidation_owed_run = (SELECT max(id) FROM mvrefresh.refresh_run"
                + " WHERE view = '" + VIEW + "' AND outcome = 'success'), invalidation_owed_since = now(),"
                + " invalidation_owed_by = '" + owner + "' WHERE view = '" + VIEW + "'");
    }

    private int claim() {
        return owed.claim(false).await().atMost(Duration.ofSeconds(10));
    }

    @Test
    void shouldTakeOverAtOnceWhatAReplicaThatIsGoneOwed() {
        keys.create("summary", 5);
        owedBy("mvrefresh-7d9f-replaced");

        assertThat(claim()).as("its presence lock is free: the owner is gone").isEqualTo(1);

        await().atMost(Duration.ofSeconds(10)).until(() -> keys.all().isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> POSTGRES.value(
                "SELECT invalidation_owed_run FROM mvrefresh.view_state WHERE view = ?", VIEW) == null);
    }

    @Test
    void shouldLeaveToALiveReplicaWhatItOwes() throws Exception {
        keys.create("summary", 5);
        String alive = "mvrefresh-alive-" + TestRun.ID;
        try (Connection replica = POSTGRES.connect(); Statement statement = replica.createStatement()) {
            statement.execute("SELECT pg_advisory_lock(hashtextextended('mvrefresh-instance:' || '" + alive + "', 0))");
            owedBy(alive);

            assertThat(claim()).as("its owner holds its presence lock").isZero();
            assertThat(keys.all()).hasSize(5);
        }
        // The replica's session ended: its lock went with it.
        await().atMost(Duration.ofSeconds(10)).until(() -> claim() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> keys.all().isEmpty());
    }

    @Test
    void shouldClearTheMarkOnlyForTheInvalidationOfTheLastRefreshToCommit() {
        ViewId view = ViewId.parse(VIEW).orElseThrow();
        Instant now = Instant.now();
        // Run ids are allocated when runs are queued: run 2 of another replica commits first, run 1 last.
        for (long runId : new long[]{2_000_002, 2_000_001}) {
            RunRecord run = new RunRecord(runId, view, Trigger.SCHEDULE, AppliedMode.CONCURRENT, "replica-" + runId, now, now,
                    now,
                    Outcome.SUCCESS, null, null, null, null);
            pool.withTransaction(conn -> states.recordSuccess(conn, run, null, true, Set.of())).await()
                    .atMost(Duration.ofSeconds(10));
        }

        owedStore.invalidationDone(view, 2_000_002, 0).await().atMost(Duration.ofSeconds(10));
        assertThat(POSTGRES.count("SELECT invalidation_owed_run FROM mvrefresh.view_state WHERE view = ?", VIEW))
                .as("the earlier commit's invalidation leaves what the last commit owes").isEqualTo(2_000_001);

        owedStore.invalidationDone(view, 2_000_001, 0).await().atMost(Duration.ofSeconds(10));
        assertThat(POSTGRES.value("SELECT invalidation_owed_run FROM mvrefresh.view_state WHERE view = ?", VIEW)).isNull();
    }

    @Test
    void shouldHoldItsOwnPresenceLockWhileRunning() {
        assertThat(POSTGRES.count("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                + " WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()"
                + " AND a.application_name LIKE 'mvrefresh/%/presence'")).isEqualTo(1);
    }
}
