package io.mvrefresh.pools;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.IsolatedDatabase;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.TestRun;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * mvrefresh behind Debian's PgBouncer in session mode: every connection (housekeeping, refresh
 * sessions, the LISTEN connection, the presence lock) goes through it, and sessions still get
 * their timeouts, which PgBouncer would refuse as startup parameters.
 */
@QuarkusTest
@TestProfile(PgBouncerTest.Profile.class)
class PgBouncerTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected boolean viaPgBouncer() {
            return true;
        }

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.changes.notify-channel", "mvrefresh_changes",
                    "mvrefresh.views.\"public.mv_ratios\".max-staleness", "1m");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("ratios");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    Pool pool;

    @BeforeEach
    void started() {
        awaitStartupRefreshes(dispatcher);
    }

    @Test
    void shouldRefreshListenAndHoldItsPresenceThroughPgBouncerInSessionMode() {
        forceRefresh("public.mv_ratios").statusCode(200).body("outcome", Matchers.equalTo("success"));

        String name = "mvrefresh/test-" + TestRun.ID;
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(IsolatedDatabase.pgBouncer().clientNames())
                .contains(name, name + "/refresh", name + "/listen", name + "/presence"));
        // The presence lock and the LISTEN are held by sessions that reached the server through it.
        assertThat(POSTGRES.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND application_name = ? AND query ILIKE 'LISTEN%'", name + "/listen")).isEqualTo(1);
        assertThat(POSTGRES.count("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                + " WHERE l.locktype = 'advisory' AND a.datname = current_database() AND a.application_name = ?",
                name + "/presence")).isEqualTo(1);
    }

    @Test
    void shouldGiveHousekeepingSessionsTheirTimeoutsAfterConnecting() {
        Map<String, String> settings = pool.query("SELECT current_setting('statement_timeout') AS statement,"
                + " current_setting('lock_timeout') AS lock, current_setting('idle_in_transaction_session_timeout') AS idle")
                .execute()
                .map(rows -> {
                    var row = rows.iterator().next();
                    return Map.of("statement", row.getString("statement"), "lock", row.getString("lock"), "idle",
                            row.getString("idle"));
                })
                .await().atMost(Duration.ofSeconds(10));
        assertThat(settings).containsEntry("statement", "30s").containsEntry("lock", "5s").containsEntry("idle", "1min");
    }
}
