package io.mvrefresh.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.support.Gate;
import io.mvrefresh.support.IsolatedDatabase;
import io.mvrefresh.support.LocalServers;
import io.mvrefresh.support.PackagedApp;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RedisProcess;
import io.mvrefresh.support.TestRun;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Faults a platform team meets, against the packaged application as operators run it: a killed
 * process, a restart while Redis was down, a second replica starting beside a long refresh, an
 * upgrade of the state schema while an older replica works.
 */
class FaultsIT {

    private static final String TOKEN = "it-token";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final List<String> DATABASES = new ArrayList<>();

    @AfterAll
    static void dropDatabases() {
        DATABASES.forEach(Postgres::dropDatabase);
    }

    private static Postgres database(String purpose, List<String> fixtures) {
        String name = TestRun.database("it_faults_" + purpose);
        DATABASES.add(name);
        return IsolatedDatabase.create(name, fixtures);
    }

    private static HttpResponse<String> call(String method, int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("Authorization", "Bearer " + TOKEN).method(method, HttpRequest.BodyPublishers.noBody())
                    .timeout(Duration.ofSeconds(40)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static int status(int port, String path) {
        HttpResponse<String> response = call("GET", port, path);
        return response == null ? -1 : response.statusCode();
    }

    private static List<String> settings(String database, int http, int management, String... more) {
        List<String> settings = new ArrayList<>(List.of(
                "quarkus.http.port=" + http,
                "quarkus.management.port=" + management,
                "mvrefresh.admin.token=" + TOKEN,
                "mvrefresh.defaults.interval=1d"));
        settings.addAll(List.of(more));
        return settings;
    }

    @Test
    void shouldEndAKilledInstancesRefreshOnTheServerWithinSeconds() throws Exception {
        Postgres postgres = database("killed", List.of("long_refresh"));
        String refreshing = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'"
                + " AND application_name = 'mvrefresh/killed/refresh' AND query LIKE 'REFRESH MATERIALIZED VIEW%mv_two_minutes%'";
        try (PackagedApp app = PackagedApp.start(postgres.name(),
                settings(postgres.name(), LocalServers.freePort(), LocalServers.freePort(),
                        "mvrefresh.instance=killed", "mvrefresh.discovery.include=mv_two_minutes"))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> postgres.count(refreshing) == 1);

            app.kill();

            // Its statement timeout is ten minutes and the REFRESH sleeps for two: only the server
            // noticing that its client is gone ends it this soon.
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> postgres.count(refreshing) == 0);
        }
        assertThat(postgres.count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
                .as("its locks went with it")
                .isZero();
    }

    @Test
    void shouldInvalidateWhatARefreshOwedAfterRedisAndMvrefreshCameBack() throws Exception {
        Postgres postgres = database("owed", List.of());
        try (RedisProcess redis = RedisProcess.start()) {
            int http = LocalServers.freePort();
            List<String> settings = settings(postgres.name(), http, LocalServers.freePort(),
                    "mvrefresh.instance=owed",
                    "quarkus.redis.hosts=" + redis.hosts(),
                    "mvrefresh.discovery.include=mv_metric_summary",
                    "mvrefresh.invalidation.command-timeout=1s",
                    "mvrefresh.views.\"public.mv_metric_summary\".invalidate.patterns=cache:summary:*");
            long runId;
            try (PackagedApp first = PackagedApp.start(postgres.name(), settings)) {
                // The startup refresh and its invalidation are done.
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> postgres.count(
                        "SELECT count(*) FROM mvrefresh.refresh_run WHERE outcome = 'success' AND keys_invalidated IS NOT NULL") == 1);
                redis.cli("SET", "cache:summary:acme", "stale");
                redis.stopServer();

                HttpResponse<String> forced = call("POST", http, "/admin/views/public.mv_metric_summary/refresh?wait=30s");
                assertThat(forced.statusCode()).as(forced.body()).isEqualTo(200);
                assertThat(forced.body()).contains("\"outcome\":\"success\"");
                runId = postgres.count("SELECT max(id) FROM mvrefresh.refresh_run WHERE outcome = 'success'");
                assertThat(postgres
                        .count("SELECT invalidation_owed_run FROM mvrefresh.view_state WHERE view = 'public.mv_metric_summary'"))
                        .as("owed, recorded with the refresh").isEqualTo(runId);
            }
            redis.startServer();
            assertThat(redis.cli("EXISTS", "cache:summary:acme")).as("the stale entry survived the outage").isEqualTo("1");

            try (PackagedApp second = PackagedApp.start(postgres.name(), settings)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> "0".equals(redis.cli("EXISTS", "cache:summary:acme")));
                await().atMost(Duration.ofSeconds(10)).until(() -> postgres.count("SELECT count(*) FROM mvrefresh.view_state"
                        + " WHERE view = 'public.mv_metric_summary' AND invalidation_owed_run IS NULL") == 1);
                assertThat(second.output()).contains("its cache invalidation was not done yet; doing it now");
            }
            assertThat(postgres.count("SELECT keys_invalidated FROM mvrefresh.refresh_run WHERE id = ?", runId)).isEqualTo(1);
        }
    }

    @Test
    void shouldStartASecondInstanceBesideALongRefreshWithoutStallingTheFirstOrDeadlocking() throws Exception {
        Postgres postgres = database("second", List.of("gated_views"));
        int firstHttp = LocalServers.freePort();
        int secondManagement = LocalServers.freePort();
        List<String> common = List.of("mvrefresh.discovery.schemas=public,gated",
                "mvrefresh.discovery.include=mv_one,mv_metric_summary",
                "mvrefresh.defaults.lock-timeout=5m", "mvrefresh.defaults.skip-unchanged=false");
        try (PackagedApp first = PackagedApp.start(postgres.name(),
                withAll(settings(postgres.name(), firstHttp, LocalServers.freePort(),
                        "mvrefresh.instance=first"), common))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> status(firstHttp, "/admin/views/gated.mv_one") == 200
                    && call("GET", firstHttp, "/admin/views/gated.mv_one").body().contains("\"lastSuccessAt\":\""));
            try (Gate gate = Gate.close(postgres, "gated.gate")) {
                call("POST", firstHttp, "/admin/views/gated.mv_one/refresh");
                gate.awaitWaiting(1);

                try (PackagedApp second = PackagedApp.start(postgres.name(),
                        withAll(settings(postgres.name(), LocalServers.freePort(),
                                secondManagement, "mvrefresh.instance=second"), common))) {
                    List<String> waits = new ArrayList<>();
                    // Sampled every 50 ms until the second instance has started.
                    ConditionFactory sampling = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50));
                    assertThatCode(() -> sampling.until(() -> {
                        // Any mvrefresh session waiting for a lock, other than the refresh held at the gate.
                        waits.addAll(postgres.column("SELECT a.application_name || ': ' || a.query FROM pg_locks l"
                                + " JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()"
                                + " AND a.application_name LIKE 'mvrefresh/%'"
                                + " AND (l.relation IS NULL OR l.relation <> 'gated.gate'::regclass)").stream()
                                .map(Object::toString).toList());
                        return status(secondManagement, "/q/health/started") == 200;
                    })).as("the second instance starts; its output:%n%s", second.output()).doesNotThrowAnyException();
                    assertThat(waits).as("lock waits of mvrefresh sessions while the second instance started").isEmpty();

                    HttpResponse<String> other = call("POST", firstHttp,
                            "/admin/views/public.mv_metric_summary/refresh?wait=30s");
                    assertThat(other.statusCode()).isEqualTo(200);
                    assertThat(other.body()).as("the first instance keeps refreshing other views")
                            .contains("\"outcome\":\"success\"");
                }
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> postgres.count("SELECT count(*) FROM mvrefresh.refresh_run"
                    + " WHERE view = 'gated.mv_one' AND trigger = 'admin' AND outcome = 'success'") == 1);
        }
        assertThat(postgres.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE error LIKE '%deadlock%'")).isZero();
    }

    @Test
    void shouldMigrateALegacySchemaOnlyWhileNothingHoldsItsTablesAndKeepEveryRow() throws Exception {
        Postgres postgres = database("legacy", List.of("legacy_state_schema"));
        int http = LocalServers.freePort();
        int management = LocalServers.freePort();
        try (Connection olderReplica = postgres.connect()) {
            // A refresh of an older replica reads view_state in its transaction and keeps it open.
            olderReplica.setAutoCommit(false);
            try (Statement statement = olderReplica.createStatement()) {
                statement.execute("SELECT count(*) FROM mvrefresh.view_state");
            }
            try (PackagedApp app = PackagedApp.start(postgres.name(), settings(postgres.name(), http, management,
                    "mvrefresh.discovery.include=mv_metric_summary"))) {
                await().atMost(Duration.ofSeconds(30)).until(() -> app.output().contains("lock timeout"));
                assertThat(status(management, "/q/health/started")).as("not started before its schema is migrated")
                        .isEqualTo(503);
                // The migration waits a second at most per attempt: readers behind it are not held up for long.
                try (Connection reader = postgres.connect(); Statement statement = reader.createStatement()) {
                    statement.execute("SET lock_timeout = '5s'");
                    statement.execute("SELECT count(*) FROM mvrefresh.view_state");
                }

                olderReplica.rollback();

                await().atMost(Duration.ofSeconds(60)).until(() -> status(management, "/q/health/started") == 200);
                assertThat(postgres.value("SELECT version FROM mvrefresh.schema_version"))
                        .isEqualTo(io.mvrefresh.state.StateSchema.LATEST);
                assertThat(postgres.rows("SELECT view, schema_name, view_name, paused FROM mvrefresh.view_state"))
                        .containsExactly(
                                Map.of("view", "public.mv_metric_summary", "schema_name", "public", "view_name",
                                        "mv_metric_summary",
                                        "paused", true));
                assertThat(postgres.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE id = 99 AND schema_name = 'public'"))
                        .isEqualTo(1);
                assertThat(call("GET", http, "/admin/views/public.mv_metric_summary").body()).contains("\"status\":\"paused\"");
            }
        }
    }

    private static List<String> withAll(List<String> settings, List<String> more) {
        List<String> all = new ArrayList<>(settings);
        all.addAll(more);
        return all;
    }
}
