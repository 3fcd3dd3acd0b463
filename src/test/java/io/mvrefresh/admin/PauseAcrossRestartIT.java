package io.mvrefresh.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.support.IsolatedDatabase;
import io.mvrefresh.support.LocalServers;
import io.mvrefresh.support.PackagedApp;
import io.mvrefresh.support.Postgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A view paused through the admin API stays paused when mvrefresh restarts. */
class PauseAcrossRestartIT {

    private static final String DATABASE = io.mvrefresh.support.TestRun.database("it_pause");
    private static final String TOKEN = "it-token";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @AfterAll
    static void dropDatabase() {
        Postgres.dropDatabase(DATABASE);
    }

    private static HttpResponse<String> call(String method, int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("Authorization", "Bearer " + TOKEN).method(method, HttpRequest.BodyPublishers.noBody())
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static PackagedApp start(int port) throws IOException {
        return PackagedApp.start(DATABASE, List.of("quarkus.http.port=" + port, "mvrefresh.admin.token=" + TOKEN,
                "mvrefresh.discovery.include=mv_metric_summary,mv_sentiment_weekly", "mvrefresh.defaults.interval=2s",
                "mvrefresh.defaults.skip-unchanged=false"));
    }

    @Test
    void shouldStayPausedAfterARestart() throws Exception {
        Postgres postgres = IsolatedDatabase.create(DATABASE, List.of());
        int port = LocalServers.freePort();
        try (PackagedApp first = start(port)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                HttpResponse<String> view = call("GET", port, "/admin/views/public.mv_metric_summary");
                return view != null && view.statusCode() == 200 && view.body().contains("\"lastSuccessAt\":\"");
            });
            assertThat(call("POST", port, "/admin/views/public.mv_metric_summary/pause").statusCode()).isEqualTo(200);
            // A healthy start warns about nothing: an operator learns to read WARN as "act on this".
            assertThat(first.output().lines().filter(line -> line.contains(" WARN ")).toList())
                    .as(first.output()).isEmpty();
            assertThat(first.output()).doesNotContain("No scheduled business methods found");
        }
        String pausedRuns = "SELECT count(*) FROM mvrefresh.refresh_run WHERE outcome = 'success' AND view = 'public.mv_metric_summary'";
        String otherRuns = "SELECT count(*) FROM mvrefresh.refresh_run WHERE outcome = 'success' AND view = 'public.mv_sentiment_weekly'";
        long runsWhenPaused = postgres.count(pausedRuns);

        try (PackagedApp second = start(port)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                HttpResponse<String> view = call("GET", port, "/admin/views/public.mv_metric_summary");
                return view != null && view.statusCode() == 200;
            });
            assertThat(call("GET", port, "/admin/views/public.mv_metric_summary").body()).contains("\"status\":\"paused\"");
            // The other view, on the same 2 s interval, is refreshed twice more: intervals passed, and
            // the paused view was not refreshed in any of them.
            long othersBefore = postgres.count(otherRuns);
            await().atMost(Duration.ofSeconds(30)).until(() -> postgres.count(otherRuns) >= othersBefore + 2);
            assertThat(postgres.count(pausedRuns)).isEqualTo(runsWhenPaused);

            assertThat(call("POST", port, "/admin/views/public.mv_metric_summary/resume").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(15)).until(() -> postgres.count(pausedRuns) > runsWhenPaused);
        }
    }
}
