package io.mvrefresh.admin;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import io.mvrefresh.support.DatabaseProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(AdminDisabledTest.Profile.class)
class AdminDisabledTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of("mvrefresh.defaults.enabled", "false", "mvrefresh.console.enabled", "false");
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.remove("mvrefresh.admin.token");
            return config;
        }
    }

    @Test
    void shouldAnswer403SayingHowToEnableTheAdminApiWhenNoTokenIsConfigured() {
        given().header("Authorization", "Bearer anything").when().get("/admin/views")
                .then().statusCode(403)
                .body("error", containsString("set mvrefresh.admin.token"));
        given().when().post("/admin/views/public.mv_brand_rankings/refresh").then().statusCode(403);
    }

    @Test
    void shouldNotServeTheConsoleWhenItIsTurnedOff() {
        io.restassured.RestAssured.given().when().get("/console").then().statusCode(404);
        io.restassured.RestAssured.given().when().get("/console/console.js").then().statusCode(404);
    }
}
