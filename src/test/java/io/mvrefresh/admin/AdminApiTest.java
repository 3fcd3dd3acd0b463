package io.mvrefresh.admin;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.notNullValue;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Refreshes;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(AdminApiTest.Profile.class)
class AdminApiTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.defaults.interval", "1h",
                    "mvrefresh.views.\"public.mv_brand_daily_metrics\".priority", "critical",
                    "mvrefresh.views.\"public.mv_metric_summary\".enabled", "false",
                    "mvrefresh.views.\"public.mv_not_created_yet\".interval", "5m");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @BeforeEach
    void startupRefreshesAreDone() {
        awaitStartupRefreshes(dispatcher);
    }

    private static RequestSpecification authorized() {
        return given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN);
    }

    @Test
    void shouldListEveryViewWithItsSettingsAndState() {
        authorized().when().get("/admin/views")
                .then().statusCode(200)
                .body("name", hasItems("public.mv_brand_daily_metrics", "public.mv_metric_summary", "public.mv_not_created_yet"))
                .body("find { it.name == 'public.mv_brand_daily_metrics' }.priority", equalTo("critical"))
                .body("find { it.name == 'public.mv_brand_daily_metrics' }.modeInEffect", equalTo("concurrent"))
                .body("find { it.name == 'public.mv_brand_daily_metrics' }.status", equalTo("idle"))
                .body("find { it.name == 'public.mv_brand_daily_metrics' }.lastSuccessAt", notNullValue())
                .body("find { it.name == 'public.mv_brand_daily_metrics' }.stalenessSeconds", notNullValue())
                .body("find { it.name == 'public.mv_brand_rankings' }.upstream", hasItems("public.mv_brand_daily_metrics"))
                .body("find { it.name == 'public.mv_metric_summary' }.enabled", equalTo(false))
                .body("find { it.name == 'public.mv_not_created_yet' }.status", equalTo("missing"))
                .body("find { it.name == 'public.mv_not_created_yet' }.why.reason", equalTo("missing"))
                .body("find { it.name == 'public.mv_metric_summary' }.why.reason", equalTo("disabled"))
                .body("find { it.name == 'public.mv_brand_daily_metrics' }.why.reason", equalTo("scheduled"))
                .body("find { it.name == 'public.mv_brand_daily_metrics' }.why.until", notNullValue());
    }

    @Test
    void shouldShowOneView() {
        authorized().when().get("/admin/views/public.mv_brand_rankings")
                .then().statusCode(200)
                .body("name", equalTo("public.mv_brand_rankings"))
                .body("interval", equalTo("1h"))
                .body("lastRun.outcome", equalTo("success"));
    }

    @Test
    void shouldForceARefreshAndAnswerWithTheRunId() {
        int runId = authorized().when().post("/admin/views/public.mv_brand_rankings/refresh")
                .then().statusCode(202)
                .body("view", equalTo("public.mv_brand_rankings"))
                .extract().path("runId");

        org.awaitility.Awaitility.await().until(() -> POSTGRES
                .count("SELECT count(*) FROM mvrefresh.refresh_run WHERE id = ? AND outcome = 'success'", (long) runId) == 1);
        assertThat(POSTGRES.value("SELECT trigger FROM mvrefresh.refresh_run WHERE id = ?", (long) runId)).isEqualTo("admin");
    }

    @Test
    void shouldWaitForTheRunWhenAsked() {
        authorized().queryParam("wait", "30s").when().post("/admin/views/public.mv_brand_daily_metrics/refresh")
                .then().statusCode(200)
                .body("outcome", equalTo("success"))
                .body("mode", equalTo("concurrent"))
                .body("runId", notNullValue());
    }

    @Test
    void shouldRejectRequestsWithoutTheToken() {
        given().when().get("/admin/views").then().statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer"))
                .body("error", containsString("bearer token"));
        given().header("Authorization", "Bearer wrong").when().post("/admin/views/public.mv_brand_rankings/refresh")
                .then().statusCode(401).body("error", equalTo("invalid bearer token"));
        given().header("Authorization", "Basic dGVzdC10b2tlbg==").when().get("/admin/views").then().statusCode(401);
    }

    @Test
    void shouldAnswer404ForUnknownViews() {
        authorized().when().get("/admin/views/public.no_such_view").then().statusCode(404)
                .body("error", containsString("unknown view 'public.no_such_view'"));
        authorized().when().post("/admin/views/no_schema/refresh").then().statusCode(404);
        authorized().when().post("/admin/views/public.mv_not_created_yet/refresh").then().statusCode(404)
                .body("error", containsString("does not exist in PostgreSQL"));
    }

    @Test
    void shouldNeverRunSqlCarriedInAViewName() {
        long runsBefore = POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run");

        authorized().when().post("/admin/views/{view}/refresh", "x\"; DROP TABLE metric_facts; --").then().statusCode(404);
        authorized().when().post("/admin/views/{view}/refresh", "public.mv_brand_rankings\"; DROP TABLE metric_facts; --")
                .then().statusCode(404);

        assertThat(POSTGRES.count("SELECT count(*) FROM pg_tables WHERE tablename = 'metric_facts'")).isEqualTo(1);
        assertThat(POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run")).isEqualTo(runsBefore);
    }

    @Test
    void shouldRejectABadWaitOrADisabledView() {
        authorized().queryParam("wait", "soon").when().post("/admin/views/public.mv_brand_rankings/refresh")
                .then().statusCode(400).body("error", containsString("wait=soon is not a duration"));
        authorized().queryParam("wait", "1h").when().post("/admin/views/public.mv_brand_rankings/refresh")
                .then().statusCode(400).body("error", containsString("at most 10m"));
        authorized().when().post("/admin/views/public.mv_metric_summary/refresh")
                .then().statusCode(409).body("error", containsString("disabled"));
    }

    @Test
    void shouldForceEveryEnabledViewOrOnlyOnePriority() {
        authorized().queryParam("priority", "critical").when().post("/admin/refresh")
                .then().statusCode(202)
                .body("view", org.hamcrest.Matchers.contains("public.mv_brand_daily_metrics"))
                .body("[0].runId", notNullValue());
        authorized().when().post("/admin/refresh")
                .then().statusCode(202)
                .body("findAll { it.runId != null }.view",
                        hasItems("public.mv_brand_daily_metrics", "public.mv_brand_rankings", "public.mv_sentiment_weekly"))
                .body("find { it.view == 'public.mv_metric_summary' }.status", equalTo("disabled"))
                .body("find { it.view == 'public.mv_metric_summary' }.runId", org.hamcrest.Matchers.nullValue())
                .body("find { it.view == 'public.mv_not_created_yet' }.status", equalTo("missing"))
                .body("find { it.view == 'public.mv_not_created_yet' }.reason", containsString("does not exist in PostgreSQL"));
        authorized().queryParam("priority", "urgent").when().post("/admin/refresh")
                .then().statusCode(400).body("error", containsString("priority=urgent is not a priority"));
    }

    @Test
    void shouldPauseAndResumeAViewPersistently() {
        authorized().when().post("/admin/views/public.mv_brand_latest_summary/pause")
                .then().statusCode(200).body("status", equalTo("paused"));
        assertThat(POSTGRES.value("SELECT paused FROM mvrefresh.view_state WHERE view = 'public.mv_brand_latest_summary'"))
                .isEqualTo(true);
        authorized().when().post("/admin/views/public.mv_brand_latest_summary/refresh")
                .then().statusCode(409).body("error", containsString("is paused"));
        // Another tick reads view_state again: the pause stands.
        Refreshes.loop().tick().await().atMost(java.time.Duration.ofSeconds(5));
        authorized().when().get("/admin/views/public.mv_brand_latest_summary").then().body("status", equalTo("paused"));

        authorized().when().post("/admin/views/public.mv_brand_latest_summary/resume")
                .then().statusCode(200).body("status", org.hamcrest.Matchers.not(equalTo("paused")));
        assertThat(POSTGRES.value("SELECT paused FROM mvrefresh.view_state WHERE view = 'public.mv_brand_latest_summary'"))
                .isEqualTo(false);
        authorized().queryParam("wait", "30s").when().post("/admin/views/public.mv_brand_latest_summary/refresh")
                .then().statusCode(200).body("outcome", equalTo("success"));
        authorized().when().post("/admin/views/public.nope/pause").then().statusCode(404);
    }

    @Test
    void shouldListRecentRunsNewestFirst() {
        authorized().queryParam("wait", "30s").when().post("/admin/views/public.mv_brand_rankings/refresh").then()
                .statusCode(200);
        java.util.List<Integer> ids = authorized().queryParam("view", "public.mv_brand_rankings").queryParam("limit", "2")
                .when().get("/admin/runs")
                .then().statusCode(200)
                .body("view", org.hamcrest.Matchers.everyItem(equalTo("public.mv_brand_rankings")))
                .extract().path("runId");
        assertThat(ids).hasSize(2).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        authorized().when().get("/admin/runs").then().statusCode(200).body("size()", org.hamcrest.Matchers.greaterThan(2));

        authorized().queryParam("limit", "0").when().get("/admin/runs").then().statusCode(400)
                .body("error", containsString("limit=0 must be a whole number from 1 to 1000"));
        authorized().queryParam("limit", "5000").when().get("/admin/runs").then().statusCode(400);
        authorized().queryParam("limit", "ten").when().get("/admin/runs").then().statusCode(400);
        authorized().queryParam("view", "public.no_such_view").when().get("/admin/runs").then().statusCode(404);
        given().when().get("/admin/runs").then().statusCode(401);
    }

    @Test
    void shouldPageAndFilterTheViewList() {
        List<String> all = authorized().when().get("/admin/views").then().statusCode(200).extract().jsonPath().getList("name");
        assertThat(all).hasSizeGreaterThan(4).isSorted();

        var first = authorized().queryParam("limit", 2).when().get("/admin/views").then().statusCode(200)
                .header("X-Total-Count", String.valueOf(all.size()))
                .header("Link", containsString("offset=2")).header("Link", containsString("rel=\"next\"")).extract();
        assertThat(first.jsonPath().getList("name")).isEqualTo(all.subList(0, 2));
        List<String> second = authorized().queryParam("limit", 2).queryParam("offset", 2).when().get("/admin/views")
                .then().statusCode(200).extract().jsonPath().getList("name");
        assertThat(second).isEqualTo(all.subList(2, 4));
        var last = authorized().queryParam("offset", all.size() - 1).when().get("/admin/views").then().statusCode(200).extract();
        assertThat(last.jsonPath().getList("name")).containsExactly(all.getLast());
        assertThat(last.header("Link")).as("no page after the last").isNull();

        authorized().queryParam("status", "missing").when().get("/admin/views").then().statusCode(200)
                .header("X-Total-Count", "1").body("name", contains("public.mv_not_created_yet"));
        authorized().queryParam("priority", "critical").when().get("/admin/views").then().statusCode(200)
                .body("name", contains("public.mv_brand_daily_metrics"));
        List<String> brand = authorized().queryParam("prefix", "public.mv_brand_").when().get("/admin/views").then()
                .statusCode(200)
                .extract().jsonPath().getList("name");
        assertThat(brand).isNotEmpty().allMatch(name -> name.startsWith("public.mv_brand_"))
                .isEqualTo(all.stream().filter(name -> name.startsWith("public.mv_brand_")).toList());

        authorized().queryParam("status", "sleeping").when().get("/admin/views").then().statusCode(400)
                .body("error", containsString("status=sleeping"));
        authorized().queryParam("limit", "0").when().get("/admin/views").then().statusCode(400)
                .body("error", containsString("limit=0"));
        authorized().queryParam("limit", "5001").when().get("/admin/views").then().statusCode(400);
        authorized().queryParam("offset", "-1").when().get("/admin/views").then().statusCode(400);
    }

    @Test
    void shouldSummarizeTheViewsByStatusAndPriority() {
        int views = authorized().when().get("/admin/views").then().statusCode(200).extract().jsonPath().getList("name").size();
        authorized().when().get("/admin/summary").then().statusCode(200)
                .body("views", equalTo(views))
                .body("byStatus.missing", equalTo(1))
                .body("byStatus.running", equalTo(0))
                .body("byPriority.critical", equalTo(1))
                .body("disabled", equalTo(1))
                .body("stalest", notNullValue())
                .body("stalestSeconds", notNullValue());
    }

    @Test
    void shouldDescribeTheAdminApiInOpenApiOnTheManagementPortOnly() {
        given().when().get(io.mvrefresh.support.Management.url("/q/openapi")).then().statusCode(200)
                .body(containsString("/admin/views/{view}/refresh"))
                .body(containsString("/admin/runs"))
                .body(containsString("/admin/views/{view}/pause"))
                .body(containsString("bearer"))
                .body(containsString("mvrefresh.admin.token"))
                .body(org.hamcrest.Matchers.not(containsString("bearerFormat")));
        // Every error answer is documented with its schema, not only 200.
        given().queryParam("format", "json").when().get(io.mvrefresh.support.Management.url("/q/openapi")).then().statusCode(200)
                .body("paths.'/admin/views/{view}/refresh'.post.responses.'404'.content.'application/json'.schema.'$ref'",
                        containsString("ErrorBody"))
                .body("paths.'/admin/views/{view}/refresh'.post.responses.'409'", notNullValue())
                .body("paths.'/admin/views/{view}/refresh'.post.responses.'202'.content.'application/json'.schema",
                        notNullValue())
                .body("paths.'/admin/views'.get.responses.'400'", notNullValue())
                .body("components.securitySchemes.adminToken.scheme", equalTo("bearer"));
        given().when().get("/q/openapi").then().statusCode(404);
    }

    @Test
    void shouldAnswerUnknownPathsWithJsonNotAnHtmlPage() {
        given().when().get("/no/such/page").then().statusCode(404)
                .contentType("application/json")
                .body("error", containsString("no such endpoint: GET /no/such/page"));
        given().when().get("/q/swagger-ui").then().statusCode(404).contentType("application/json");
    }
}
