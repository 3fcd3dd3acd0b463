package io.mvrefresh.support;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.cache.InvalidationQueue;
import io.mvrefresh.lifecycle.Lifecycle;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.scheduling.TickLoop;
import io.quarkus.arc.Arc;
import io.restassured.response.ValidatableResponse;
import java.time.Duration;

/** Ticking the dispatcher by hand, waiting for what it started, and forcing refreshes as an operator would. */
public final class Refreshes {

    private Refreshes() {
    }

    /**
     * Ticks once (the first tick of an application queues every view that is due at startup) and
     * waits until what it started has finished: nothing queued, running or on its way (cascades
     * included) and every cache invalidation done.
     */
    public static void tickAndSettle(Dispatcher dispatcher) {
        awaitStarted();
        loop().tick().await().atMost(Duration.ofSeconds(20));
        settle(dispatcher);
    }

    /** The running application's dispatcher loop, which tests tick by hand. */
    public static TickLoop loop() {
        return Arc.container().instance(TickLoop.class).get();
    }

    /** Waits until the application has started: schema migrated, first catalog scan applied. */
    public static void awaitStarted() {
        Lifecycle lifecycle = Arc.container().instance(Lifecycle.class).get();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(lifecycle::started);
    }

    /** Waits until nothing is queued, running or on its way, and every cache invalidation is done. */
    public static void settle(Dispatcher dispatcher) {
        InvalidationQueue invalidations = Arc.container().instance(InvalidationQueue.class).get();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> loop().settled() && invalidations.pending() == 0);
    }

    /** The startup refreshes: {@link #tickAndSettle}. */
    public static void awaitStartupRefreshes(Dispatcher dispatcher) {
        tickAndSettle(dispatcher);
    }

    /** {@code POST /admin/views/{view}/refresh?wait=30s} with the test token. */
    public static ValidatableResponse forceRefresh(String view) {
        return given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                .queryParam("wait", "30s")
                .when().post("/admin/views/{view}/refresh", view)
                .then();
    }
}
