package io.mvrefresh.cache;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RedisKeys;
import io.mvrefresh.support.TestRun;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
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
    void shouldHoldItsOwnPresenceLockWhileRunning() {
        assertThat(POSTGRES.count("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                + " WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()"
                + " AND a.application_name LIKE 'mvrefresh/%/presence'")).isEqualTo(1);
    }
}
