package io.mvrefresh.cache;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Management;
import io.mvrefresh.support.OwnRedisServer;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RedisKeys;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(RedisOutageTest.Profile.class)
class RedisOutageTest {

    static final String PREFIX = io.mvrefresh.support.TestRun.redisPrefix("outage");

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.include", "mv_metric_summary,mv_brand_daily_metrics",
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.invalidation.command-timeout", "1s",
                    "mvrefresh.views.\"public.mv_metric_summary\".invalidate.patterns", PREFIX + "summary:*",
                    "mvrefresh.views.\"public.mv_brand_daily_metrics\".invalidate.patterns", PREFIX + "daily:*");
        }

        @Override
        protected boolean ownRedis() {
            return true;
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    RedisDataSource redis;

    @Inject
    InvalidationQueue queue;

    private static double metric(String series) {
        String text = given().when().get(Management.url("/q/metrics")).then().statusCode(200).extract().asString();
        Matcher value = Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(text);
        assertThat(value.find()).as("series %s on /q/metrics", series).isTrue();
        return Double.parseDouble(value.group(1));
    }

    @Test
    void shouldKeepRefreshingWhileRedisIsDownAndInvalidateOnceItIsBack() {
        awaitStartupRefreshes(dispatcher);
        assertThat(metric("mvrefresh_cache_invalidation_pending")).isZero();
        RedisKeys keys = new RedisKeys(redis, PREFIX);
        Set<String> summary = keys.create("summary", 200);
        Set<String> daily = keys.create("daily", 300);
        Set<String> kept = keys.create("kept", 50);

        OwnRedisServer.current().stopServer();

        forceRefresh("public.mv_metric_summary").statusCode(200).body("outcome", equalTo("success"));
        POSTGRES.addFactsNow();
        forceRefresh("public.mv_brand_daily_metrics").statusCode(200).body("outcome", equalTo("success"));
        await().atMost(Duration.ofSeconds(10)).until(() -> queue.pending() == 2);
        assertThat(metric("mvrefresh_cache_invalidation_pending")).isEqualTo(2.0);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(
                () -> assertThat(metric("mvrefresh_cache_invalidation_failures_total{view=\"public.mv_metric_summary\"}"))
                        .isGreaterThanOrEqualTo(1));
        // A later refresh of the same view supersedes the waiting invalidation instead of adding one.
        forceRefresh("public.mv_metric_summary").statusCode(200).body("outcome", equalTo("success"));
        assertThat(queue.pending()).isEqualTo(2);

        OwnRedisServer.current().startServer();

        await().atMost(Duration.ofSeconds(60)).until(() -> queue.pending() == 0);
        assertThat(keys.all()).isEqualTo(kept).doesNotContainAnyElementsOf(summary).doesNotContainAnyElementsOf(daily);
        assertThat(metric("mvrefresh_cache_invalidation_pending")).isZero();
        long latestSummaryRun = ((Number) POSTGRES.value(
                "SELECT max(id) FROM mvrefresh.refresh_run WHERE view = 'public.mv_metric_summary'")).longValue();
        await().atMost(Duration.ofSeconds(10)).until(() -> POSTGRES
                .value("SELECT keys_invalidated FROM mvrefresh.refresh_run WHERE id = ?", latestSummaryRun) != null);
        assertThat(POSTGRES.value("SELECT keys_invalidated FROM mvrefresh.refresh_run WHERE id = ?", latestSummaryRun))
                .isEqualTo(200L);
    }
}
