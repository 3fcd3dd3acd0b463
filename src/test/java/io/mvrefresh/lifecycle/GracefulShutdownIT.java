package io.mvrefresh.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.support.Gate;
import io.mvrefresh.support.IsolatedDatabase;
import io.mvrefresh.support.LocalServers;
import io.mvrefresh.support.PackagedApp;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RedisCli;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM with a long refresh in progress, as Kubernetes stops a pod: readiness goes down, the
 * refresh gets the grace period, is then cancelled on the server and recorded, nothing is left
 * behind in PostgreSQL, and the process exits by itself in time.
 */
class GracefulShutdownIT {

    private static final String DATABASE = io.mvrefresh.support.TestRun.database("it_shutdown");
    private static final Duration GRACE = Duration.ofSeconds(3);

    @AfterAll
    static void dropDatabase() {
        Postgres.dropDatabase(DATABASE);
    }

    private static int status(int port, String path) {
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL()
                    .openConnection();
            connection.setConnectTimeout(500);
            connection.setReadTimeout(500);
            return connection.getResponseCode();
        } catch (IOException e) {
            return -1;
        }
    }

    @Test
    void shouldCancelTheRefreshAfterTheGraceRecordItAndExitInTime() throws Exception {
        Postgres postgres = IsolatedDatabase.create(DATABASE, List.of("gated_views"));
        int management = LocalServers.freePort();
        String refreshing = "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + DATABASE
                + "' AND state = 'active' AND query LIKE 'REFRESH MATERIALIZED VIEW%mv_one%'";
        // The refresh waits for the gate the test holds for as long as the test needs; its lock
        // timeout is longer than the test, so only the shutdown's cancel can end it.
        try (Gate gate = Gate.close(postgres, "gated.gate");
                PackagedApp app = PackagedApp.start(DATABASE, List.of(
                        "quarkus.management.port=" + management,
                        "mvrefresh.discovery.schemas=gated",
                        "mvrefresh.discovery.include=mv_one",
                        "mvrefresh.defaults.lock-timeout=10m",
                        "mvrefresh.shutdown.grace=" + GRACE.toSeconds() + "s"))) {
            gate.awaitWaiting(1);
            assertThat(postgres.count(refreshing)).isEqualTo(1);
            assertThat(status(management, "/q/health/ready")).isEqualTo(200);

            app.terminate();
            // During the grace both ports still serve: readiness says DOWN, metrics are scrapeable.
            await().atMost(Duration.ofSeconds(30)).until(() -> status(management, "/q/health/ready") == 503);
            assertThat(status(management, "/q/metrics")).isEqualTo(200);
            assertThat(status(management, "/q/health/live")).isEqualTo(200);
            int exitCode = app.awaitExit(GRACE.toSeconds() + 60);

            assertThat(exitCode).as(app.output()).isIn(0, 143);
            assertThat(app.output()).as("waits the grace for the refresh, then cancels it and exits by itself")
                    .contains("shutdown: waiting up to " + GRACE.toSeconds() + "s for 1 refresh(es) in progress")
                    .contains("shutdown: cancelling 1 refresh(es) still running after " + GRACE.toSeconds() + "s")
                    .contains("mvrefresh: stopped");
            assertThat(app.output()).as("a clean shutdown logs no transport warnings").doesNotContain("WARN  [io.ne");
        }

        Map<String, Object> run = postgres.rows("SELECT outcome, error, started_at, finished_at FROM mvrefresh.refresh_run"
                + " WHERE view = 'gated.mv_one'").getFirst();
        assertThat(run.get("outcome")).isEqualTo("cancelled");
        assertThat((String) run.get("error")).contains("canceling statement due to user request");
        assertThat(postgres.count(refreshing)).as("no refresh left running").isZero();
        assertThat(postgres
                .count("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + DATABASE + "' AND pid <> pg_backend_pid()"))
                .as("no session (open transaction) left behind").isZero();
        assertThat(postgres.count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).as("no advisory lock left")
                .isZero();
        assertThat(postgres.value("SELECT relispopulated FROM pg_class WHERE relname = 'mv_one'"))
                .as("the cancelled refresh was rolled back").isEqualTo(false);
    }

    @Test
    void shouldInvalidateWhatARefreshCommittedDuringTheGraceBeforeItExits() throws Exception {
        String database = io.mvrefresh.support.TestRun.database("it_shutdown_owed");
        String prefix = io.mvrefresh.support.TestRun.redisPrefix("shutdown-owed");
        Postgres postgres = IsolatedDatabase.create(database, List.of("gated_views"));
        int management = LocalServers.freePort();
        java.util.List<String> keys = java.util.stream.IntStream.range(0, 20).mapToObj(i -> prefix + "one:" + i).toList();
        try {
            Gate gate = Gate.close(postgres, "gated.gate");
            boolean released = false;
            try (PackagedApp app = PackagedApp.start(database, List.of(
                    "quarkus.management.port=" + management,
                    "mvrefresh.discovery.schemas=gated",
                    "mvrefresh.discovery.include=mv_one",
                    "mvrefresh.defaults.lock-timeout=10m",
                    "mvrefresh.views.\"gated.mv_one\".invalidate.patterns=" + prefix + "one:*",
                    "mvrefresh.shutdown.grace=60s"))) {
                gate.awaitWaiting(1);
                for (String key : keys) {
                    RedisCli.run("SET", key, "cached");
                }

                app.terminate();
                await().atMost(Duration.ofSeconds(30)).until(() -> status(management, "/q/health/ready") == 503);
                // The refresh commits during the grace, after shutdown began: what it owes is done before exit.
                gate.close();
                released = true;
                int exitCode = app.awaitExit(90);

                assertThat(exitCode).as(app.output()).isIn(0, 143);
            } finally {
                if (!released) {
                    gate.close();
                }
            }
            assertThat(postgres.value("SELECT outcome FROM mvrefresh.refresh_run WHERE view = 'gated.mv_one'"))
                    .isEqualTo("success");
            assertThat(keys.stream().filter(key -> RedisCli.run("EXISTS", key).equals("1"))).as("keys left behind").isEmpty();
            assertThat(postgres.value("SELECT keys_invalidated FROM mvrefresh.refresh_run WHERE view = 'gated.mv_one'"))
                    .isEqualTo(20L);
            assertThat(postgres.value("SELECT invalidation_owed_run FROM mvrefresh.view_state WHERE view = 'gated.mv_one'"))
                    .as("nothing left owed").isNull();
        } finally {
            keys.forEach(key -> RedisCli.run("DEL", key));
            Postgres.dropDatabase(database);
        }
    }
}
