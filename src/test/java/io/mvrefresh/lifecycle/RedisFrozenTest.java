package io.mvrefresh.lifecycle;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Management;
import io.mvrefresh.support.OwnRedisServer;
import io.mvrefresh.support.Refreshes;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.config.HttpClientConfig;
import io.restassured.response.ValidatableResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A hung Redis never makes a probe wait: health answers from what was measured in the background. */
@QuarkusTest
@TestProfile(RedisFrozenTest.Profile.class)
class RedisFrozenTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of("mvrefresh.defaults.enabled", "false");
        }

        @Override
        protected boolean ownRedis() {
            return true;
        }
    }

    /** As a Kubernetes probe with its default timeoutSeconds: 1. */
    private static ValidatableResponse probe(String path) {
        return given().config(RestAssured.config().httpClient(HttpClientConfig.httpClientConfig()
                .setParam("http.connection.timeout", 1000).setParam("http.socket.timeout", 1000)))
                .when().get(Management.url(path)).then();
    }

    @Test
    void shouldAnswerReadinessAtOnceWhileRedisIsFrozen() {
        Refreshes.awaitStarted();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> probe("/q/health/ready").statusCode(200)
                .body("checks.find { it.name == 'mvrefresh-ready' }.data.redis", equalTo("reachable")));

        OwnRedisServer.current().freeze();
        try {
            // Every probe answers within a Kubernetes probe's second, before and after the
            // background check has noticed.
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> probe("/q/health/ready").statusCode(200)
                            .body("checks.find { it.name == 'mvrefresh-ready' }.data.redis", equalTo("unreachable")));
            for (int i = 0; i < 5; i++) {
                probe("/q/health/ready").statusCode(200);
                probe("/q/health/live").statusCode(200);
            }
        } finally {
            OwnRedisServer.current().thaw();
        }
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> probe("/q/health/ready").statusCode(200)
                .body("checks.find { it.name == 'mvrefresh-ready' }.data.redis", equalTo("reachable")));
    }
}
