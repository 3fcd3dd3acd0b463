package io.mvrefresh.scheduling;

import static io.mvrefresh.support.Refreshes.settle;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Gate;
import io.mvrefresh.support.GatedViewProfile;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(GatedViewProfile.class)
class CoalescingTest {

    private static final Postgres POSTGRES = new Postgres(new GatedViewProfile().database());
    private static final ViewId VIEW = new ViewId("gated", "mv_one");

    @Inject
    Dispatcher dispatcher;

    private static Map<String, Object> forceRefresh() {
        return given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                .when().post("/admin/views/gated.mv_one/refresh")
                .then().statusCode(202).extract().as(Map.class);
    }

    @Test
    void shouldTurnTenRequestsDuringARunIntoExactlyOneMoreRun() {
        Map<String, Object> first;
        Set<Object> followUps = new HashSet<>();
        try (Gate gate = Gate.close(POSTGRES, "gated.gate")) {
            first = forceRefresh();
            gate.awaitWaiting(1);
            assertThat(dispatcher.snapshot(VIEW).orElseThrow().runningRunId())
                    .isEqualTo(((Number) first.get("runId")).longValue());

            for (int i = 0; i < 10; i++) {
                Map<String, Object> answer = forceRefresh();
                assertThat(answer.get("status")).isEqualTo("follow-up");
                followUps.add(answer.get("runId"));
            }
            assertThat(gate.waiting()).as("the follow-up waits for the run in progress, not for the lock").isEqualTo(1);
        }
        settle(dispatcher);

        assertThat(followUps).hasSize(1).doesNotContain(first.get("runId"));
        assertThat(POSTGRES.column("SELECT id FROM mvrefresh.refresh_run WHERE trigger = 'admin' AND id >= ? ORDER BY id",
                ((Number) first.get("runId")).longValue()))
                .containsExactly(((Number) first.get("runId")).longValue(), ((Number) followUps.iterator().next()).longValue());
    }
}
