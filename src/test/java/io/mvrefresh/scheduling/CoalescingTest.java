package io.mvrefresh.scheduling;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.catalog.ViewId;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(CoalescingTest.Profile.class)
class CoalescingTest {

    public static class Profile extends DatabaseProfile {
        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "slow",
                    "mvrefresh.discovery.include", "mv_one_second",
                    "mvrefresh.defaults.interval", "1d");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("slow_views");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());
    private static final ViewId VIEW = new ViewId("slow", "mv_one_second");

    @Inject
    Dispatcher dispatcher;

    private static int forceRefresh() {
        return given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                .when().post("/admin/views/slow.mv_one_second/refresh")
                .then().statusCode(202).extract().path("runId");
    }

    @Test
    void shouldTurnTenRequestsDuringARunIntoExactlyOneMoreRun() {
        awaitStartupRefreshes(dispatcher);
        int first = forceRefresh();
        await().until(() -> dispatcher.status(VIEW).orElseThrow().runningRunId() != null);

        Set<Integer> followUps = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            followUps.add(forceRefresh());
        }

        assertThat(followUps).hasSize(1).doesNotContain(first);
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            ViewStatus status = dispatcher.status(VIEW).orElseThrow();
            return status.queuedRunId() == null && status.runningRunId() == null
                    && POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE trigger = 'admin'") == 2;
        });
        assertThat(POSTGRES.column("SELECT id FROM mvrefresh.refresh_run WHERE trigger = 'admin' ORDER BY id"))
                .containsExactly((long) first, (long) followUps.iterator().next());
    }
}
