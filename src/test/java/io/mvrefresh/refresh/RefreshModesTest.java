package io.mvrefresh.refresh;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Management;
import io.mvrefresh.support.Postgres;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(RefreshModesTest.Profile.class)
class RefreshModesTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.defaults.interval", "1h",
                    // Opted in here; MonitoringTest shows the histogram without the view label by default.
                    "mvrefresh.metrics.per-view-histograms", "true",
                    "mvrefresh.views.\"public.mv_brand_latest_summary\".mode", "blocking",
                    "mvrefresh.views.\"public.mv_metric_totals\".mode", "concurrent",
                    "mvrefresh.views.\"public.mv_brand_daily_metrics\".priority", "high");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("mode_variants");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @BeforeEach
    void startupRefreshesAreDone() {
        awaitStartupRefreshes(dispatcher);
    }

    @Test
    void shouldShowNewFactsInTheDailyAggregateAfterARefresh() {
        POSTGRES.execute("""
                INSERT INTO metric_facts (metric_id, observed_at, value)
                SELECT metric_id, '2001-02-03 10:00Z', 1234.5 FROM brand_metrics WHERE brand = 'acme' AND metric = 'revenue'
                """);
        String newDay = "SELECT count(*) FROM mv_brand_daily_metrics WHERE day = '2001-02-03' AND brand = 'acme' AND total = 1234.5";
        assertThat(POSTGRES.count(newDay)).as("not visible before the refresh").isZero();

        forceRefresh("public.mv_brand_daily_metrics").statusCode(200)
                .body("outcome", equalTo("success"))
                .body("mode", equalTo("concurrent"))
                .body("trigger", equalTo("admin"));

        assertThat(POSTGRES.count(newDay)).isEqualTo(1);
    }

    @Test
    void shouldRefreshConcurrentlyOnlyWhereTheViewAllowsIt() {
        assertThat(lastMode("public.mv_brand_daily_metrics")).isEqualTo("concurrent");
        assertThat(lastMode("public.mv_brand_rankings")).isEqualTo("concurrent");
        assertThat(lastMode("public.mv_metric_summary")).as("no unique index").isEqualTo("blocking");
        assertThat(lastMode("public.mv_brand_latest_summary")).as("mode=blocking").isEqualTo("blocking");
        assertThat(POSTGRES.runsOf("public.mv_brand_daily_metrics"))
                .allSatisfy(run -> assertThat(run.get("outcome")).isEqualTo("success"));
    }

    @Test
    void shouldRefreshAViewCreatedWithNoDataPlainFirstAndConcurrentlyAfterwards() {
        List<Map<String, Object>> runs = POSTGRES.runsOf("public.mv_sentiment_weekly");
        assertThat(runs.getFirst()).containsEntry("mode", "blocking").containsEntry("outcome", "success");
        assertThat(POSTGRES.value("SELECT relispopulated FROM pg_class WHERE oid = 'mv_sentiment_weekly'::regclass"))
                .isEqualTo(true);

        forceRefresh("public.mv_sentiment_weekly").statusCode(200).body("mode", equalTo("concurrent"));
    }

    @Test
    void shouldFailConcurrentModeOnAnIneligibleViewWithoutRefreshing() {
        Object filenodeBefore = POSTGRES.value("SELECT pg_relation_filenode('mv_metric_totals')");

        forceRefresh("public.mv_metric_totals").statusCode(200)
                .body("outcome", equalTo("failed"))
                .body("error", startsWith(
                        "mode is concurrent but REFRESH CONCURRENTLY is not possible: the view has no usable unique index"));

        assertThat(POSTGRES.value("SELECT pg_relation_filenode('mv_metric_totals')")).as("no plain refresh ran")
                .isEqualTo(filenodeBefore);
    }

    @Test
    void shouldExportRefreshDurationsToPrometheus() {
        forceRefresh("public.mv_brand_daily_metrics").statusCode(200);

        String text = given().when().get(Management.url("/q/metrics")).then().statusCode(200).extract().asString();

        assertThat(text).contains("# TYPE mvrefresh_refresh_duration_seconds histogram")
                .containsPattern(
                        "mvrefresh_refresh_duration_seconds_count\\{mode=\"concurrent\",outcome=\"success\",priority=\"high\",view=\"public.mv_brand_daily_metrics\"} [1-9]")
                .containsPattern(
                        "mvrefresh_refresh_duration_seconds_count\\{mode=\"blocking\",outcome=\"success\",priority=\"medium\",view=\"public.mv_metric_summary\"} [1-9]")
                .containsPattern(
                        "mvrefresh_refresh_duration_seconds_count\\{mode=\"concurrent\",outcome=\"failed\",priority=\"medium\",view=\"public.mv_metric_totals\"} [1-9]")
                .contains(
                        "mvrefresh_refresh_duration_seconds_bucket{mode=\"concurrent\",outcome=\"success\",priority=\"high\",view=\"public.mv_brand_daily_metrics\",le=\"0.01\"}");
    }

    private static String lastMode(String view) {
        List<Map<String, Object>> runs = POSTGRES.runsOf(view);
        assertThat(runs).as("runs of %s", view).isNotEmpty();
        return (String) runs.getLast().get("mode");
    }
}
