package io.mvrefresh.admin;

import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Refreshes;
import io.mvrefresh.vocabulary.ViewId;
import io.mvrefresh.vocabulary.ViewStatus;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Schema and view names that contain a dot: stored apart, named with SQL-style quotes everywhere else. */
@QuarkusTest
@TestProfile(DottedNamesTest.Profile.class)
class DottedNamesTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "my",
                    "mvrefresh.defaults.interval", "1h",
                    // In a properties file: mvrefresh.views."\\"my.schema\\".mv_daily".priority=critical
                    "mvrefresh.views.\"\\\"my.schema\\\".mv_daily\".priority", "critical");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("dotted_schema");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());
    private static final ViewId DOTTED_SCHEMA = new ViewId("my.schema", "mv_daily");
    private static final ViewId DOTTED_NAME = new ViewId("my", "schema.mv_daily");

    @Inject
    Dispatcher dispatcher;

    private static RequestSpecification authorized() {
        return given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN).urlEncodingEnabled(true);
    }

    @Test
    void shouldKeepTwoViewsWhoseNamesJoinToTheSameTextApart() {
        tickAndSettle(dispatcher);
        // Another tick reads view_state back: each row must land on its own view.
        Refreshes.loop().tick().await().atMost(Duration.ofSeconds(10));

        for (ViewId view : List.of(DOTTED_SCHEMA, DOTTED_NAME)) {
            assertThat(dispatcher.snapshot(view).orElseThrow().status()).as(view.toString()).isEqualTo(ViewStatus.IDLE);
            assertThat(dispatcher.snapshot(view).orElseThrow().state().lastSuccessAt()).as(view.toString()).isNotNull();
        }
        assertThat(POSTGRES.rows("SELECT view, schema_name, view_name FROM mvrefresh.view_state ORDER BY view")).containsExactly(
                Map.of("view", "\"my.schema\".mv_daily", "schema_name", "my.schema", "view_name", "mv_daily"),
                Map.of("view", "my.\"schema.mv_daily\"", "schema_name", "my", "view_name", "schema.mv_daily"));
        assertThat(dispatcher.snapshot(DOTTED_SCHEMA).orElseThrow().settings().priority().label()).isEqualTo("critical");
        assertThat(dispatcher.snapshot(DOTTED_NAME).orElseThrow().settings().priority().label()).isEqualTo("medium");
    }

    @Test
    void shouldServeAndRefreshThemThroughTheAdminApiByTheirQuotedNames() {
        tickAndSettle(dispatcher);
        authorized().when().get("/admin/views")
                .then().statusCode(200).body("name", hasItems("\"my.schema\".mv_daily", "my.\"schema.mv_daily\""));
        authorized().when().get("/admin/views/{view}", "\"my.schema\".mv_daily")
                .then().statusCode(200).body("name", equalTo("\"my.schema\".mv_daily")).body("priority", equalTo("critical"));

        authorized().queryParam("wait", "30s").when().post("/admin/views/{view}/refresh", "my.\"schema.mv_daily\"")
                .then().statusCode(200).body("outcome", equalTo("success")).body("view", equalTo("my.\"schema.mv_daily\""));
        authorized().queryParam("view", "\"my.schema\".mv_daily").when().get("/admin/runs")
                .then().statusCode(200).body("view", org.hamcrest.Matchers.everyItem(equalTo("\"my.schema\".mv_daily")));
        authorized().when().get("/admin/views/{view}", "my.schema.mv_daily")
                .then().statusCode(404).body("error", containsString("\"my.schema\".mv_daily"));
    }
}
