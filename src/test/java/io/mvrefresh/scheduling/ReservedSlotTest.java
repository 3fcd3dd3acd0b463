package io.mvrefresh.scheduling;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.mvrefresh.support.Refreshes.settle;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Gate;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RunIntervals;
import io.mvrefresh.vocabulary.ViewStatus;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A slot reserved for critical views: long low refreshes filling the rest do not delay a critical one. */
@QuarkusTest
@TestProfile(ReservedSlotTest.Profile.class)
class ReservedSlotTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "reserved",
                    "mvrefresh.concurrency", "2",
                    "mvrefresh.scheduler.reserved-for-critical", "1",
                    "mvrefresh.defaults.interval", "1h",
                    "mvrefresh.defaults.lock-timeout", "5m",
                    "mvrefresh.defaults.priority", "low",
                    "mvrefresh.views.\"reserved.mv_critical\".priority", "critical");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("reserved_slot");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Test
    void shouldStartACriticalViewWhileLowRefreshesFillEveryOtherSlot() {
        awaitStartupRefreshes(dispatcher);
        try (Gate gate = Gate.close(POSTGRES, "reserved.gate")) {
            for (int i = 1; i <= 3; i++) {
                given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                        .when().post("/admin/views/{view}/refresh", "reserved.mv_low_" + i).then().statusCode(202);
            }
            gate.awaitWaiting(1);
            List<ViewSnapshot> low = dispatcher.snapshots().stream().filter(v -> v.settings().view().name().startsWith("mv_low_"))
                    .toList();
            assertThat(low.stream().filter(v -> v.status() == ViewStatus.RUNNING)).as("low refreshes running").hasSize(1);
            assertThat(low.stream().filter(v -> v.status() == ViewStatus.QUEUED)).as("low refreshes waiting").hasSize(2);

            // The low refresh holds its slot for as long as the gate is closed: the critical one
            // finishing now proves it did not wait for it.
            forceRefresh("reserved.mv_critical").statusCode(200).body("outcome", equalTo("success"));
            assertThat(gate.waiting()).as("the low refresh is still running").isEqualTo(1);
        }
        settle(dispatcher);
        List<Map<String, Object>> runs = POSTGRES.rows(
                "SELECT view, started_at, finished_at, outcome FROM mvrefresh.refresh_run WHERE trigger = 'admin' ORDER BY started_at");
        assertThat(runs).hasSize(4).allMatch(run -> "success".equals(run.get("outcome")));
        assertThat(RunIntervals.maxConcurrent(runs)).isLessThanOrEqualTo(2);
    }
}
