package io.mvrefresh.cache;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.mvrefresh.support.Refreshes.settle;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import io.mvrefresh.refresh.RefreshExecutor;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.CapturedLog;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.InvalidationMessages;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RedisKeys;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(CacheInvalidationTest.Profile.class)
class CacheInvalidationTest {

    static final String PREFIX = io.mvrefresh.support.TestRun.redisPrefix("invalidation");
    static final String CHANNEL = PREFIX + "events";

    public static class Profile extends DatabaseProfile {

        @Override
        protected String redisPrefix() {
            return PREFIX;
        }

        @Override
        protected Map<String, String> settings() {
            Map<String, String> settings = new HashMap<>();
            settings.put("mvrefresh.defaults.interval", "1d");
            settings.put("mvrefresh.invalidation.channel", CHANNEL);
            settings.put("mvrefresh.invalidation.scan-count", "500");
            settings.put("mvrefresh.views.\"public.mv_brand_daily_metrics\".invalidate.patterns", PREFIX + "daily:*");
            settings.put("mvrefresh.views.\"public.mv_brand_rankings\".invalidate.tags", PREFIX + "tag:rankings");
            settings.put("mvrefresh.views.\"public.mv_metric_summary\".invalidate.generation-key", PREFIX + "generation:summary");
            settings.put("mvrefresh.views.\"public.mv_brand_latest_summary\".invalidate.patterns", PREFIX + "latest:*");
            settings.put("mvrefresh.views.\"public.mv_brand_latest_summary\".invalidate.tags", PREFIX + "tag:latest");
            settings.put("mvrefresh.views.\"public.mv_brand_latest_summary\".invalidate.generation-key",
                    PREFIX + "generation:latest");
            settings.put("mvrefresh.views.\"public.mv_ratios\".invalidate.patterns", PREFIX + "ratios:*");
            return settings;
        }

        @Override
        protected List<String> fixtures() {
            return List.of("ratios");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    RedisDataSource redis;

    @Inject
    CacheInvalidator invalidator;

    @Inject
    ReactiveRedisDataSource reactiveRedis;

    private RedisKeys keys;

    @BeforeEach
    void ownKeysOnly() {
        awaitStartupRefreshes(dispatcher);
        keys = new RedisKeys(redis, PREFIX);
        keys.removeAll();
    }

    @AfterEach
    void removeOwnKeys() {
        keys.removeAll();
    }

    private Set<String> tagged(String tag, String group, int count) {
        Set<String> members = keys.create(group, count);
        redis.set(String.class).sadd(keys.key(tag), members.toArray(String[]::new));
        return members;
    }

    private long runId(String view) {
        return ((Number) POSTGRES.value("SELECT max(id) FROM mvrefresh.refresh_run WHERE view = ? AND outcome = 'success'", view))
                .longValue();
    }

    @Test
    void shouldRemoveOnlyWhatEachStrategyNamesAndAnnounceEachInvalidation() {
        // 10 000 keys: what four views' rules name, and what they must leave alone.
        Set<String> daily = keys.create("daily", 3000);
        Set<String> rankings = tagged("tag:rankings", "ranked", 2000);
        Set<String> latest = keys.create("latest", 1000);
        Set<String> latestTagged = tagged("tag:latest", "latest-tagged", 500);
        Set<String> untouched = new HashSet<>(keys.create("other", 3000));
        untouched.addAll(keys.create("dailyish", 495));
        untouched.add(keys.key("daily"));
        redis.value(String.class).set(keys.key("daily"), "no colon after the prefix: not matched");
        untouched.add(keys.key("generation:summary"));
        untouched.add(keys.key("generation:latest"));
        redis.value(Long.class).set(keys.key("generation:summary"), 41L);
        redis.value(Long.class).set(keys.key("generation:latest"), 7L);
        assertThat(keys.all()).hasSize(3000 + 2000 + 1000 + 500 + 3000 + 495 + 1 + 2 + 2);

        // New facts for today: the daily aggregate changes, and so do the two views reading it.
        POSTGRES.execute(
                "INSERT INTO metric_facts (metric_id, observed_at, value) SELECT metric_id, now(), 1000 FROM brand_metrics");
        try (InvalidationMessages messages = new InvalidationMessages(reactiveRedis, CHANNEL)) {
            // The daily aggregate's refresh also refreshes the two views that read it.
            forceRefresh("public.mv_brand_daily_metrics").statusCode(200).body("outcome", equalTo("success"));
            forceRefresh("public.mv_metric_summary").statusCode(200).body("outcome", equalTo("success"));

            JsonNode dailyMessage = messages.awaitFor("public.mv_brand_daily_metrics", runId("public.mv_brand_daily_metrics"));
            JsonNode rankingsMessage = messages.awaitAnyFor("public.mv_brand_rankings");
            JsonNode latestMessage = messages.awaitAnyFor("public.mv_brand_latest_summary");
            JsonNode summaryMessage = messages.awaitFor("public.mv_metric_summary", runId("public.mv_metric_summary"));

            assertThat(dailyMessage.path("keysRemoved").asLong()).isEqualTo(3000);
            assertThat(rankingsMessage.path("keysRemoved").asLong()).isEqualTo(2000);
            assertThat(latestMessage.path("keysRemoved").asLong()).isEqualTo(1000 + 500);
            assertThat(summaryMessage.path("keysRemoved").asLong()).isZero();
            assertThat(dailyMessage.path("refreshedAt").asText()).isNotEmpty();
            assertThat(rankingsMessage.path("runId").asLong()).isEqualTo(runId("public.mv_brand_rankings"));
            // Refreshed because its source was, and not skipped: the source's write counters are
            // not flushed yet when it runs.
            assertThat(
                    POSTGRES.value("SELECT trigger FROM mvrefresh.refresh_run WHERE id = ?", runId("public.mv_brand_rankings")))
                    .isEqualTo("dependency");
        }

        Set<String> remaining = keys.all();
        assertThat(remaining).doesNotContainAnyElementsOf(daily).doesNotContainAnyElementsOf(rankings)
                .doesNotContainAnyElementsOf(latest).doesNotContainAnyElementsOf(latestTagged)
                .doesNotContain(keys.key("tag:rankings"), keys.key("tag:latest"));
        assertThat(remaining).isEqualTo(untouched);
        assertThat(redis.value(Long.class).get(keys.key("generation:summary"))).isEqualTo(42L);
        assertThat(redis.value(Long.class).get(keys.key("generation:latest"))).isEqualTo(8L);
        await().atMost(Duration.ofSeconds(10)).until(() -> POSTGRES.value(
                "SELECT keys_invalidated FROM mvrefresh.refresh_run WHERE id = ?",
                runId("public.mv_brand_daily_metrics")) != null);
        assertThat(POSTGRES.value("SELECT keys_invalidated FROM mvrefresh.refresh_run WHERE id = ?",
                runId("public.mv_brand_daily_metrics")))
                .isEqualTo(3000L);
    }

    @Test
    void shouldLogEachRefreshAndInvalidationAndReportTheKeysRemoved() {
        keys.create("daily", 20);
        try (CapturedLog refreshes = CapturedLog.of(RefreshExecutor.class);
                CapturedLog invalidations = CapturedLog.of(InvalidationWorker.class)) {
            POSTGRES.addFactsNow();
            var answer = forceRefresh("public.mv_brand_daily_metrics").statusCode(200).body("outcome", equalTo("success"))
                    .extract();
            assertThat(answer.<String>path("invalidation")).as("known once the invalidation is done").isIn("pending", "done");
            long runId = answer.<Number>path("runId").longValue();
            settle(dispatcher);

            given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                    .when().get("/admin/views/{view}", "public.mv_brand_daily_metrics").then().statusCode(200)
                    .body("lastRun.runId", equalTo((int) runId))
                    .body("lastRun.invalidation", equalTo("done"))
                    .body("lastRun.keysInvalidated", equalTo(20));
            assertThat(refreshes.lines()).as("one INFO line per refresh").anyMatch(line -> line.startsWith(
                    "INFO refresh #" + runId + " (admin) \"public\".\"mv_brand_daily_metrics\": refreshed CONCURRENTLY in "));
            assertThat(invalidations.lines()).anyMatch(line -> line.startsWith("INFO refresh #" + runId)
                    && line.contains("invalidated 20 cache key(s)"));
        }
    }

    @Test
    void shouldAnnounceOnlyAfterTheRefreshedDataIsVisible() {
        POSTGRES.execute("""
                INSERT INTO metric_facts (metric_id, observed_at, value)
                SELECT metric_id, '1999-12-31 12:00Z', 99 FROM brand_metrics WHERE brand = 'globex' AND metric = 'orders'
                """);
        AtomicLong seenByReader = new AtomicLong(-1);
        // An application reacting to the message re-reads the view at once: it must see the new day.
        try (InvalidationMessages messages = new InvalidationMessages(reactiveRedis, CHANNEL, message -> {
            if ("public.mv_brand_daily_metrics".equals(message.path("view").asText())) {
                seenByReader.set(POSTGRES.count("SELECT count(*) FROM mv_brand_daily_metrics WHERE day = '1999-12-31'"));
            }
        })) {
            io.mvrefresh.support.Requests.accepted(dispatcher, ViewId.parse("public.mv_brand_daily_metrics").orElseThrow(),
                    io.mvrefresh.vocabulary.Trigger.ADMIN);
            messages.awaitAnyFor("public.mv_brand_daily_metrics");
        }
        assertThat(seenByReader.get()).isEqualTo(1);
    }

    @Test
    void shouldInvalidateNothingForAFailedRefresh() {
        Set<String> cached = keys.create("ratios", 50);
        POSTGRES.execute("INSERT INTO ratio_inputs VALUES (99, 1, 0)");
        try (InvalidationMessages messages = new InvalidationMessages(reactiveRedis, CHANNEL)) {
            forceRefresh("public.mv_ratios").statusCode(200).body("outcome", equalTo("failed"));
            // A later successful refresh of another view proves messages flow; none came for mv_ratios.
            forceRefresh("public.mv_metric_summary").statusCode(200).body("outcome", equalTo("success"));
            messages.awaitFor("public.mv_metric_summary", runId("public.mv_metric_summary"));
            assertThat(messages.received()).noneMatch(m -> "public.mv_ratios".equals(m.path("view").asText()));
        } finally {
            POSTGRES.execute("DELETE FROM ratio_inputs WHERE id = 99");
        }
        assertThat(keys.all()).containsAll(cached);
    }

    @Test
    void shouldLetTwoInvalidationsOfOneTagDrainItTogetherAndLoseNoMember() {
        // A tag whose drain takes many rounds (scan-count 500).
        Set<String> members = tagged("tag:shared", "shared", 20_000);
        io.mvrefresh.config.InvalidationRules rules = new io.mvrefresh.config.InvalidationRules(List.of(),
                List.of(keys.key("tag:shared")), java.util.Optional.empty());
        ViewId view = ViewId.parse("public.mv_brand_rankings").orElseThrow();
        AtomicLong first = new AtomicLong();
        AtomicLong second = new AtomicLong();

        // Two replicas invalidating the tag at the same moment: the second finds the first's draining
        // set in place of the tag, and helps drain it instead of failing or deleting it whole.
        io.smallrye.mutiny.Uni.join().all(
                invalidator
                        .invalidate(InvalidationRequest.of(view, 1, java.time.Instant.now(), InvalidationRequest.POSITION_UNKNOWN,
                                rules), first),
                invalidator
                        .invalidate(InvalidationRequest.of(view, 2, java.time.Instant.now(), InvalidationRequest.POSITION_UNKNOWN,
                                rules), second))
                .andFailFast().await().atMost(Duration.ofSeconds(60));

        assertThat(keys.all()).doesNotContainAnyElementsOf(members)
                .doesNotContain(keys.key("tag:shared"), keys.key("tag:shared") + CacheInvalidator.DRAINING_SUFFIX);
        assertThat(first.get() + second.get()).as("each key counted once, by whichever drain removed it").isEqualTo(20_000);

        // A drain cut short (a process killed half way) left its set: the next invalidation finishes it.
        Set<String> leftOver = keys.create("left-over", 300);
        redis.set(String.class).sadd(keys.key("tag:shared") + CacheInvalidator.DRAINING_SUFFIX, leftOver.toArray(String[]::new));
        Set<String> newer = tagged("tag:shared", "newer", 100);
        AtomicLong third = new AtomicLong();
        invalidator.invalidate(InvalidationRequest.of(view, 3, java.time.Instant.now(), InvalidationRequest.POSITION_UNKNOWN,
                rules), third).await().atMost(Duration.ofSeconds(60));
        assertThat(keys.all()).doesNotContainAnyElementsOf(leftOver).doesNotContainAnyElementsOf(newer);
        assertThat(third.get()).isEqualTo(400);
    }
}
