package io.mvrefresh.admin;

import static io.mvrefresh.support.Refreshes.settle;
import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Gate;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Refreshes;
import io.mvrefresh.vocabulary.ViewId;
import io.mvrefresh.vocabulary.ViewStatus;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A forced refresh always refreshes, and single and bulk requests are admitted alike. */
@QuarkusTest
@TestProfile(ForcedRefreshTest.Profile.class)
class ForcedRefreshTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "fresh,gated",
                    "mvrefresh.discovery.include", "mv_backfill,mv_one,mv_brand_daily",
                    // One slot: while the gated view holds it, anything else that falls due stays queued.
                    "mvrefresh.concurrency", "1",
                    "mvrefresh.defaults.interval", "1h",
                    "mvrefresh.defaults.lock-timeout", "5m",
                    "mvrefresh.views.\"gated.mv_one\".priority", "critical");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("freshness", "gated_views");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    MutableClock clock;

    @BeforeEach
    void startupRefreshesAreDone() {
        tickAndSettle(dispatcher);
    }

    private static RequestSpecification authorized() {
        return given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN);
    }

    @Test
    void shouldRefreshWhenAForcedRequestJoinsAScheduledRunWhileAWriterStaysBusy() throws Exception {
        // A backfill session commits twice within a second and stays connected, idle: PostgreSQL
        // publishes its second batch of write counts only when its idle timer fires, seconds later.
        try (Connection writer = POSTGRES.connect(); Statement statement = writer.createStatement()) {
            statement.execute("INSERT INTO fresh.backfill SELECT g, 1 FROM generate_series(1, 100) g");
            statement.execute("INSERT INTO fresh.backfill SELECT g, 1 FROM generate_series(101, 200) g");

            Map<String, Object> forced;
            try (Gate gate = Gate.close(POSTGRES, "gated.gate")) {
                authorized().when().post("/admin/views/gated.mv_one/refresh").then().statusCode(202);
                gate.awaitWaiting(1);
                clock.advance(Duration.ofHours(1).plusSeconds(1));
                Refreshes.loop().tick().await().atMost(Duration.ofSeconds(10));
                assertThat(dispatcher.snapshot(new ViewId("fresh", "mv_backfill")).orElseThrow().status())
                        .isEqualTo(ViewStatus.QUEUED);

                forced = authorized().when().post("/admin/views/fresh.mv_backfill/refresh")
                        .then().statusCode(202).extract().as(Map.class);
                assertThat(forced.get("status")).as("it joins the run queued by the schedule").isEqualTo("joined");
            }
            settle(dispatcher);

            Map<String, Object> run = POSTGRES
                    .rows("SELECT trigger, outcome, skip_reason FROM mvrefresh.refresh_run WHERE id = ?",
                            ((Number) forced.get("runId")).longValue())
                    .getFirst();
            assertThat(run).containsEntry("trigger", "admin").containsEntry("outcome", "success");
            assertThat(POSTGRES.value("SELECT rows FROM fresh.mv_backfill")).isEqualTo(200L);
        }
    }

    @Test
    void shouldAdmitAPausedViewNeitherAloneNorInBulk() {
        authorized().when().post("/admin/views/fresh.mv_brand_daily/pause").then().statusCode(200);
        try {
            long runsBefore = POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE view = 'fresh.mv_brand_daily'");

            authorized().when().post("/admin/views/fresh.mv_brand_daily/refresh").then().statusCode(409);
            List<Map<String, Object>> bulk = authorized().when().post("/admin/refresh").then().statusCode(202)
                    .extract().jsonPath().getList("$");
            settle(dispatcher);

            assertThat(bulk).filteredOn(answer -> "fresh.mv_brand_daily".equals(answer.get("view"))).singleElement()
                    .satisfies(answer -> {
                        assertThat(answer.get("status")).isEqualTo("paused");
                        assertThat(answer.get("runId")).isNull();
                        assertThat((String) answer.get("reason")).contains("is paused");
                    });
            assertThat(bulk).filteredOn(answer -> "fresh.mv_backfill".equals(answer.get("view"))).singleElement()
                    .satisfies(answer -> assertThat(answer.get("status")).isEqualTo("queued"));
            assertThat(POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE view = 'fresh.mv_brand_daily'"))
                    .as("nothing queued, no connection taken, no row written").isEqualTo(runsBefore);
        } finally {
            authorized().when().post("/admin/views/fresh.mv_brand_daily/resume").then().statusCode(200);
        }
    }
}
