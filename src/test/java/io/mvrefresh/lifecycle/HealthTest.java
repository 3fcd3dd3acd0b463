package io.mvrefresh.lifecycle;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.IsolatedDatabase;
import io.mvrefresh.support.Management;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Refreshes;
import io.mvrefresh.support.StallableTickLoop;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.config.HttpClientConfig;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

@QuarkusTest
@TestProfile(HealthTest.Profile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HealthTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.defaults.enabled", "false",
                    // mvrefresh deployed on its own, not as a sidecar: readiness follows PostgreSQL.
                    "mvrefresh.health.ready-requires-database", "true",
                    "mvrefresh.health.liveness-timeout", "3s");
        }

        @Override
        protected boolean viaProxy() {
            return true;
        }

        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(StallableTickLoop.class);
        }

        /** The dispatcher's own loop is what is under test here. */
        @Override
        protected boolean timers() {
            return true;
        }
    }

    @Inject
    MutableClock clock;

    private static ValidatableResponse get(String path) {
        // A short timeout: a probe that hangs is a failed probe, and the next poll tries again.
        return given().config(RestAssured.config().httpClient(HttpClientConfig.httpClientConfig()
                .setParam("http.connection.timeout", 2000).setParam("http.socket.timeout", 2000)))
                .when().get(Management.url(path)).then();
    }

    @Test
    @Order(1)
    void shouldReportStartedLiveAndReady() {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> get("/q/health/started").statusCode(200));
        get("/q/health/live").statusCode(200).body("status", equalTo("UP"));
        get("/q/health/ready").statusCode(200)
                .body("checks.find { it.name == 'mvrefresh-ready' }.data.postgresql", equalTo("reachable"))
                .body("checks.find { it.name == 'mvrefresh-ready' }.data.redis", equalTo("reachable"));
    }

    @Test
    @Order(2)
    void shouldFollowPostgresInReadinessWhenRequiredButNeverInLiveness() {
        IsolatedDatabase.proxy().cut();
        try {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> get("/q/health/ready").statusCode(503)
                    .body("checks.find { it.name == 'mvrefresh-ready' }.data.postgresql", equalTo("unreachable")));
            // Past the liveness timeout on the application's clock: only a tick completed (with a
            // failure) after that keeps liveness UP, and ticks keep completing while PostgreSQL is away.
            long ticks = Refreshes.loop().ticksCompleted();
            clock.advance(Duration.ofSeconds(4));
            await().atMost(Duration.ofSeconds(10)).until(() -> Refreshes.loop().ticksCompleted() >= ticks + 2);
            get("/q/health/live").statusCode(200).body("status", equalTo("UP"));
        } finally {
            IsolatedDatabase.proxy().restore();
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> get("/q/health/ready").statusCode(200));
    }

    @Test
    @Order(3)
    void shouldTurnLivenessDownWhenTheDispatcherStopsMakingProgress() {
        get("/q/health/live").statusCode(200);

        StallableTickLoop loop = (StallableTickLoop) Refreshes.loop();
        loop.stall();
        // A tick already under way still completes; none after it does.
        await().atMost(Duration.ofSeconds(10)).until(loop::settled);
        get("/q/health/live").statusCode(200);

        clock.advance(Duration.ofSeconds(4));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> get("/q/health/live").statusCode(503)
                .body("checks.find { it.name == 'mvrefresh-dispatcher' }.status", equalTo("DOWN")));
    }
}
