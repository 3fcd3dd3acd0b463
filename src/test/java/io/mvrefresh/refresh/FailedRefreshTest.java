package io.mvrefresh.refresh;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(FailedRefreshTest.Profile.class)
class FailedRefreshTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of("mvrefresh.defaults.interval", "1h");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("ratios");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Test
    void shouldRecordPostgresErrorKeepOldContentsAndKeepRefreshingOtherViews() {
        awaitStartupRefreshes(dispatcher);
        POSTGRES.execute("INSERT INTO ratio_inputs VALUES (3, 1, 0)");

        forceRefresh("public.mv_ratios").statusCode(200)
                .body("outcome", equalTo("failed"))
                .body("error", containsString("division by zero"));

        Map<String, Object> failed = POSTGRES.runsOf("public.mv_ratios").getLast();
        assertThat(failed).containsEntry("outcome", "failed").containsEntry("mode", "concurrent");
        assertThat((String) failed.get("error")).isEqualTo("division by zero (SQLSTATE 22012)");
        assertThat(failed.get("started_at")).isNotNull();
        assertThat(failed.get("finished_at")).isNotNull();
        assertThat(POSTGRES.count("SELECT consecutive_failures FROM mvrefresh.view_state WHERE view = 'public.mv_ratios'"))
                .isPositive();
        assertThat(POSTGRES.count("SELECT count(*) FROM mv_ratios")).as("previous contents kept").isEqualTo(2);
        given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                .when().get("/admin/views/public.mv_ratios")
                .then().statusCode(200)
                .body("lastRun.outcome", equalTo("failed"))
                .body("lastRun.error", containsString("division by zero"));

        forceRefresh("public.mv_metric_summary").statusCode(200).body("outcome", equalTo("success"));

        POSTGRES.execute("UPDATE ratio_inputs SET denominator = 1 WHERE id = 3");
        forceRefresh("public.mv_ratios").statusCode(200).body("outcome", equalTo("success"));
        assertThat(POSTGRES.count("SELECT count(*) FROM mv_ratios")).isEqualTo(3);
        assertThat(POSTGRES.count("SELECT consecutive_failures FROM mvrefresh.view_state WHERE view = 'public.mv_ratios'"))
                .isZero();
    }
}
