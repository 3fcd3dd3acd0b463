package io.mvrefresh.support;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.cache.InvalidationQueue;
import io.mvrefresh.scheduling.Dispatcher;
import io.quarkus.arc.Arc;
import io.restassured.response.ValidatableResponse;
import java.time.Duration;

/** Waiting for and forcing refreshes the way an operator would. */
public final class Refreshes {

    private Refreshes() {
    }

    /**
     * Waits until every view that can run has been attempted once and nothing is queued or
     * running: after startup, the views never refreshed before are all refreshed at once.
     */
    public static void awaitStartupRefreshes(Dispatcher dispatcher) {
        InvalidationQueue invalidations = Arc.container().instance(InvalidationQueue.class).get();
        // Their cache invalidations too: they run after the refreshes, and would otherwise remove
        // keys a test creates right after this.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> dispatcher.statuses().stream()
                .filter(s -> s.settings().enabled() && s.catalogView() != null)
                .allMatch(s -> s.lastRun() != null && s.queuedRunId() == null && s.runningRunId() == null)
                && invalidations.pending() == 0);
    }

    /** {@code POST /admin/views/{view}/refresh?wait=30s} with the test token. */
    public static ValidatableResponse forceRefresh(String view) {
        return given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                .queryParam("wait", "30s")
                .when().post("/admin/views/{view}/refresh", view)
                .then();
    }
}
