package io.mvrefresh.catalog;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.mvrefresh.support.Refreshes.settle;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.config.SettingsInEffect;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.CapturedLog;
import io.mvrefresh.support.CommentedViewsProfile;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RedisKeys;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Settings in a view's comment, read at every catalog scan while the application runs: set,
 * changed, broken and removed by {@code COMMENT ON MATERIALIZED VIEW}, beaten by explicit
 * properties, and never read for a view discovery leaves out.
 */
@QuarkusTest
@TestProfile(CommentedViewsProfile.class)
class CommentSettingsTest {

    static final String PREFIX = CommentedViewsProfile.PREFIX;

    private static final Postgres POSTGRES = new Postgres(new CommentedViewsProfile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    Catalog catalog;

    @Inject
    SettingsInEffect settings;

    @Inject
    RedisDataSource redis;

    private RedisKeys keys;

    @BeforeEach
    void started() {
        awaitStartupRefreshes(dispatcher);
        keys = new RedisKeys(redis, PREFIX);
    }

    @AfterEach
    void noComments() {
        POSTGRES.execute("COMMENT ON MATERIALIZED VIEW mv_commented IS NULL; COMMENT ON MATERIALIZED VIEW mv_configured IS NULL");
        rescan();
        keys.removeAll();
    }

    /** What the periodic rescan does, now. */
    private void rescan() {
        catalog.rescan().invoke(dispatcher::applyCatalog).await().atMost(Duration.ofSeconds(30));
    }

    private void comment(String view, String comment) {
        POSTGRES.execute("COMMENT ON MATERIALIZED VIEW " + view + " IS '" + comment.replace("'", "''") + "'");
        rescan();
    }

    private static JsonPath view(String name) {
        return given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                .when().get("/admin/views/{view}", name)
                .then().statusCode(200).extract().jsonPath();
    }

    @Test
    void shouldFollowACommentAsItIsSetChangedBrokenAndRemoved() {
        JsonPath before = view("public.mv_commented");
        assertThat(before.getString("priority")).isEqualTo("medium");
        assertThat(before.getString("settingSources.priority")).isEqualTo("default");

        comment("mv_commented", "Orders per day.\nmvrefresh: interval=7m priority=high invalidate.patterns=" + PREFIX + "day:*");
        JsonPath set = view("public.mv_commented");
        assertThat(set.getString("interval")).isEqualTo("7m");
        assertThat(set.getString("priority")).isEqualTo("high");
        assertThat(set.getString("status")).isNotEqualTo("failing");
        assertThat(set.getString("settingSources.interval")).isEqualTo("comment");
        assertThat(set.getString("settingSources.'invalidate.patterns'")).isEqualTo("comment");
        assertThat(set.getString("settingSources.timeout")).isEqualTo("default");
        assertThat(set.getString("commentError")).isNull();
        // The comment's invalidation rule is the one a refresh runs.
        Set<String> cached = keys.create("day", 20);
        assertThat(forceRefresh("public.mv_commented").statusCode(200).extract().jsonPath().getString("outcome"))
                .isEqualTo("success");
        settle(dispatcher);
        assertThat(keys.all()).doesNotContainAnyElementsOf(cached);

        comment("mv_commented", "mvrefresh: interval=7m priority=low");
        assertThat(view("public.mv_commented").getString("priority")).isEqualTo("low");

        try (CapturedLog log = CapturedLog.of(SettingsInEffect.class)) {
            comment("mv_commented", "mvrefresh: interval=7m priority=urgent");
            rescan();
            JsonPath broken = view("public.mv_commented");
            assertThat(broken.getString("status")).isEqualTo("failing");
            assertThat(broken.getString("why.reason")).isEqualTo("failing");
            assertThat(broken.getString("commentError")).contains("priority=urgent").contains("critical, high, medium, low");
            assertThat(broken.getString("priority")).as("the last good settings").isEqualTo("low");
            assertThat(log.warnings()).as("reported once, not at every scan")
                    .filteredOn(line -> line.contains("priority=urgent")).hasSize(1);
        }
        // Still refreshed, on those settings.
        assertThat(forceRefresh("public.mv_commented").statusCode(200).extract().jsonPath().getString("outcome"))
                .isEqualTo("success");
        settle(dispatcher);

        comment("mv_commented", "Orders per day, no settings any more.");
        JsonPath removed = view("public.mv_commented");
        assertThat(removed.getString("interval")).isEqualTo("1d");
        assertThat(removed.getString("priority")).isEqualTo("medium");
        assertThat(removed.getString("status")).isNotEqualTo("failing");
        Map<String, String> sources = removed.getMap("settingSources");
        assertThat(sources).containsOnlyKeys(before.<String, String>getMap("settingSources").keySet());
        assertThat(sources.values()).containsOnly("default");
    }

    @Test
    void shouldLetExplicitPropertiesBeatTheComment() {
        comment("mv_configured", "mvrefresh: priority=low cron=\"0 3 * * *\" timeout=2m");

        JsonPath configured = view("public.mv_configured");
        assertThat(configured.getString("priority")).isEqualTo("critical");
        assertThat(configured.getString("interval")).as("the properties' schedule, whole").isEqualTo("2h");
        assertThat(configured.getString("cron")).isNull();
        assertThat(configured.getString("settingSources.priority")).isEqualTo("properties");
        assertThat(configured.getString("settingSources.interval")).isEqualTo("properties");
        assertThat(configured.getString("settingSources.cron")).isEqualTo("default");
        assertThat(configured.getString("settingSources.timeout")).isEqualTo("comment");
        assertThat(settings.settingsFor(new ViewId("public", "mv_configured")).timeout())
                .isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void shouldIgnoreTheCommentOfAViewOutsideDiscovery() {
        rescan();

        given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                .when().get("/admin/views/{view}", "hidden.mv_hidden")
                .then().statusCode(404);
        List<String> names = given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                .when().get("/admin/views")
                .then().statusCode(200).extract().jsonPath().getList("name");
        assertThat(names).contains("public.mv_commented").doesNotContain("hidden.mv_hidden");
        assertThat(POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE view = 'hidden.mv_hidden'")).isZero();
    }
}
