package io.mvrefresh.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.support.Gate;
import io.mvrefresh.support.IsolatedDatabase;
import io.mvrefresh.support.LocalServers;
import io.mvrefresh.support.PackagedApp;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.TestRun;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A pod stopped (SIGTERM) after a source's refresh committed and before its reader caught up: the
 * pod that replaces it, under a new name, refreshes the reader, because the cascade was written
 * with the source's refresh.
 */
class DurableCascadeIT {

    private static final List<String> DATABASES = new java.util.concurrent.CopyOnWriteArrayList<>();
    private static final String TOKEN = "it-token";

    @AfterAll
    static void dropDatabases() {
        DATABASES.forEach(Postgres::dropDatabase);
    }

    private static List<String> settings(int http, String instance) {
        return List.of("quarkus.http.port=" + http, "quarkus.management.port=" + LocalServers.freePort(),
                "mvrefresh.admin.token=" + TOKEN,
                "mvrefresh.instance=" + instance, "mvrefresh.discovery.schemas=cascade", "mvrefresh.defaults.interval=1d",
                "mvrefresh.defaults.lock-timeout=10m", "mvrefresh.shutdown.grace=1s");
    }

    private static List<Map<String, Object>> readerRuns(Postgres postgres) {
        return postgres.rows("SELECT instance, trigger, outcome FROM mvrefresh.refresh_run WHERE view = 'cascade.mv_reader'"
                + " ORDER BY id");
    }

    @Test
    void shouldRefreshTheReaderInTheReplacingPodAfterTheSourceCommittedAndThePodWasStopped() throws Exception {
        sourceCommittedThenPodGone(false, "sigterm");
    }

    @Test
    void shouldRefreshTheReaderInTheReplacingPodAfterTheSourceCommittedAndThePodWasKilled() throws Exception {
        sourceCommittedThenPodGone(true, "kill");
    }

    private void sourceCommittedThenPodGone(boolean kill, String purpose) throws Exception {
        String database = TestRun.database("it_durable_cascade_" + purpose);
        DATABASES.add(database);
        Postgres postgres = IsolatedDatabase.create(database, List.of("gated_cascade"));
        int http = LocalServers.freePort();
        try (PackagedApp first = PackagedApp.start(database, settings(http, "pod-1"))) {
            // Until the schema exists the query fails: the start is still under way.
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> readerRuns(postgres).size() == 1);
            postgres.execute("INSERT INTO cascade.readings VALUES (11, 100)");
            try (Gate gate = Gate.close(postgres, "cascade.gate")) {
                HttpResponse<String> forced = HttpClient.newHttpClient().send(HttpRequest
                        .newBuilder(URI.create("http://127.0.0.1:" + http + "/admin/views/cascade.mv_source/refresh?wait=30s"))
                        .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(forced.body()).contains("\"outcome\":\"success\"");
                // The cascade's refresh of the reader waits at the gate when the pod is stopped.
                gate.awaitWaiting(1);
                if (kill) {
                    first.kill();
                } else {
                    first.terminate();
                    assertThat(first.awaitExit(60)).as(first.output()).isIn(0, 143);
                }
            }
        }
        if (!kill) {
            assertThat(readerRuns(postgres)).as("the reader's refresh was cancelled").extracting(run -> run.get("outcome"))
                    .containsExactly("success", "cancelled");
        }

        try (PackagedApp second = PackagedApp.start(database, settings(LocalServers.freePort(), "pod-2"))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> readerRuns(postgres).stream()
                    .anyMatch(run -> "pod-2".equals(run.get("instance")) && "success".equals(run.get("outcome"))));
            assertThat(readerRuns(postgres).getLast()).containsEntry("trigger", "dependency");
            assertThat(postgres.count("SELECT total FROM cascade.mv_reader")).as("the source's new row reached the reader")
                    .isEqualTo(155);
        }
    }
}
