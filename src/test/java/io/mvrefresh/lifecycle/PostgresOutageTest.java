package io.mvrefresh.lifecycle;

import static io.mvrefresh.support.Refreshes.settle;
import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.state.OutcomeBacklog;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Gate;
import io.mvrefresh.support.IsolatedDatabase;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Requests;
import io.mvrefresh.support.TcpProxy;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PostgreSQL lost in the middle of a refresh, and back: nothing an operator was told about is lost. */
@QuarkusTest
@TestProfile(PostgresOutageTest.Profile.class)
class PostgresOutageTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "gated",
                    "mvrefresh.discovery.include", "mv_one",
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.defaults.lock-timeout", "5m");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("gated_views");
        }

        @Override
        protected boolean viaProxy() {
            return true;
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());
    private static final ViewId VIEW = new ViewId("gated", "mv_one");

    @Inject
    Dispatcher dispatcher;

    @Inject
    OutcomeBacklog backlog;

    @Test
    void shouldRecordARunCutOffByLosingPostgresOnceItIsBackAndAnswer503Meanwhile() {
        tickAndSettle(dispatcher);
        TcpProxy proxy = IsolatedDatabase.proxy();
        long runId;
        try (Gate gate = Gate.close(POSTGRES, "gated.gate")) {
            runId = Requests.accepted(dispatcher, VIEW, Trigger.ADMIN).runId();
            gate.awaitWaiting(1);

            proxy.cut();
            await().atMost(Duration.ofSeconds(20)).until(() -> backlog.size() == 1);
            given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                    .when().post("/admin/views/gated.mv_one/refresh")
                    .then().statusCode(503).body("error", containsString("PostgreSQL"));
            given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                    .when().get("/admin/runs")
                    .then().statusCode(503).body("error", containsString("PostgreSQL"));
            assertThat(POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE id = ?", runId)).isZero();
        } finally {
            proxy.restore();
        }

        await().atMost(Duration.ofSeconds(20))
                .until(() -> POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE id = ?",
                        runId) == 1);
        assertThat(POSTGRES.value("SELECT outcome FROM mvrefresh.refresh_run WHERE id = ?", runId)).isEqualTo("failed");
        assertThat(POSTGRES.count("SELECT consecutive_failures FROM mvrefresh.view_state WHERE view = 'gated.mv_one'"))
                .isEqualTo(1);
        assertThat(backlog.size()).isZero();

        // Dispatching resumes: a forced refresh succeeds.
        tickAndSettle(dispatcher);
        io.mvrefresh.support.Refreshes.forceRefresh("gated.mv_one").statusCode(200)
                .body("outcome", org.hamcrest.Matchers.equalTo("success"));
        settle(dispatcher);
    }
}
