package io.mvrefresh.observability;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.IsolatedDatabase;
import io.mvrefresh.support.Management;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Refreshes;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The metrics an operator's alerts and dashboard depend on, from a running instance, and the
 * alert rules themselves, run through promtool.
 */
@QuarkusTest
@TestProfile(MonitoringTest.Profile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MonitoringTest {

    static final String PREFIX = io.mvrefresh.support.TestRun.redisPrefix("monitoring");
    static final Path RULES = Path.of("k8s", "base", "monitoring", "prometheus-rule.yaml");
    static final Path RULES_TEST = Path.of("k8s", "tests", "rules-test.yaml");
    static final Path DASHBOARD = Path.of("k8s", "base", "monitoring", "grafana-dashboard.json");
    static final Pattern METRIC = Pattern.compile("\\bmvrefresh_[a-z_]+\\b");

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.defaults.interval", "1h",
                    "mvrefresh.views.\"public.mv_brand_daily_metrics\".priority", "high",
                    "mvrefresh.views.\"public.mv_brand_daily_metrics\".invalidate.patterns", PREFIX + "daily:*",
                    "mvrefresh.views.\"public.mv_sentiment_weekly\".invalidate.tags", PREFIX + "not-a-set",
                    "mvrefresh.views.\"public.mv_sentiment_weekly\".max-staleness", "10m",
                    "mvrefresh.views.\"public.mv_not_created_yet\".interval", "5m",
                    "mvrefresh.views.\"public.mv_brand_latest_summary\".enabled", "false");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("ratios");
        }

        @Override
        protected String redisPrefix() {
            return PREFIX;
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    MutableClock clock;

    @Inject
    RedisDataSource redis;

    @AfterAll
    static void removeKeys() {
        IsolatedDatabase.removeRedisKeys(PREFIX);
    }

    private static String scrape() {
        return given().when().get(Management.url("/q/metrics")).then().statusCode(200).extract().asString();
    }

    @Test
    @Order(1)
    void shouldExportEverySeriesWithItsLabelsAfterSuccessesFailuresSkipsAndInvalidations() {
        awaitStartupRefreshes(dispatcher);
        redis.value(String.class).set(PREFIX + "daily:1", "cached");
        // A tag rule pointing at a string, not a set: its invalidation fails (and keeps retrying).
        redis.value(String.class).set(PREFIX + "not-a-set", "oops");
        POSTGRES.execute("INSERT INTO ratio_inputs VALUES (42, 1, 0)");
        // A new sentiment score on a day with facts changes the daily aggregate and the weekly sentiment
        // (a refresh that changed no row invalidates nothing), and leaves the summary's tables alone.
        POSTGRES.execute("""
                INSERT INTO brand_sentiment (brand, observed_on, score, mentions)
                SELECT m.brand, (f.observed_at AT TIME ZONE 'UTC')::date, 99, 1
                  FROM metric_facts f JOIN brand_metrics m USING (metric_id) LIMIT 1
                ON CONFLICT (brand, observed_on) DO UPDATE SET score = brand_sentiment.score + 1""");

        forceRefresh("public.mv_brand_daily_metrics").statusCode(200).body("outcome", equalTo("success"));
        forceRefresh("public.mv_ratios").statusCode(200).body("outcome", equalTo("failed"));
        given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN).when()
                .post("/admin/views/public.mv_brand_rankings/pause")
                .then().statusCode(200);
        forceRefresh("public.mv_sentiment_weekly").statusCode(200).body("outcome", equalTo("success"));
        // An hour later nothing was written to the summary's tables: its scheduled run skips.
        clock.advance(Duration.ofMinutes(61));
        Refreshes.loop().tick().await().atMost(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(15)).until(() -> scrape().contains(
                "mvrefresh_refresh_skipped_total{reason=\"unchanged\",view=\"public.mv_metric_summary\"}"));
        await().atMost(Duration.ofSeconds(15)).until(
                () -> scrape().contains("mvrefresh_cache_invalidation_failures_total{view=\"public.mv_sentiment_weekly\"}"));
        assertThat(redis.value(String.class).get(PREFIX + "not-a-set")).as("a misconfigured tag is left alone").isEqualTo("oops");

        String text = scrape();
        assertThat(text)
                .containsPattern(
                        "mvrefresh_refresh_duration_seconds_count\\{mode=\"concurrent\",outcome=\"success\",priority=\"high\"} [1-9]")
                .containsPattern(
                        "mvrefresh_refresh_duration_seconds_count\\{mode=\"concurrent\",outcome=\"failed\",priority=\"medium\"} [1-9]")
                .containsPattern(
                        "mvrefresh_refresh_duration_seconds_bucket\\{mode=\"concurrent\",outcome=\"success\",priority=\"high\",le=\"1800.0\"}")
                .doesNotContainPattern("mvrefresh_refresh_duration_seconds_count\\{[^}]*view=")
                .containsPattern("mvrefresh_view_last_refresh_duration_seconds\\{view=\"public.mv_brand_daily_metrics\"} [0-9]")
                .containsPattern("mvrefresh_view_last_fresh_timestamp_seconds\\{view=\"public.mv_brand_daily_metrics\"} [1-9]")
                .containsPattern("mvrefresh_view_lag_seconds\\{view=\"public.mv_brand_daily_metrics\"} [0-9]")
                .contains("mvrefresh_view_paused{view=\"public.mv_brand_rankings\"} 1.0")
                .doesNotContain("mvrefresh_view_paused{view=\"public.mv_brand_daily_metrics\"}")
                .contains("mvrefresh_view_enabled{view=\"public.mv_brand_latest_summary\"} 0.0")
                .doesNotContain("mvrefresh_view_enabled{view=\"public.mv_brand_daily_metrics\"}")
                .containsPattern("mvrefresh_view_consecutive_failures\\{view=\"public.mv_ratios\"} [1-9]")
                .containsPattern(
                        "mvrefresh_refresh_skipped_total\\{reason=\"unchanged\",view=\"public.mv_metric_summary\"} [1-9]")
                .containsPattern("mvrefresh_queue_wait_seconds_count\\{priority=\"high\"} [1-9]")
                .contains("mvrefresh_queue_depth{priority=\"critical\"} 0.0", "mvrefresh_queue_depth{priority=\"low\"} 0.0")
                .containsPattern("mvrefresh_refresh_in_flight [0-9]")
                .containsPattern("mvrefresh_view_staleness_seconds\\{view=\"public.mv_brand_daily_metrics\"} [0-9]")
                .containsPattern("mvrefresh_view_last_success_timestamp_seconds\\{view=\"public.mv_brand_daily_metrics\"} [1-9]")
                .contains("mvrefresh_view_interval_seconds{view=\"public.mv_brand_daily_metrics\"} 3600.0")
                .contains("mvrefresh_view_freshness_target_seconds{view=\"public.mv_sentiment_weekly\"} 600.0")
                .doesNotContain("mvrefresh_view_freshness_target_seconds{view=\"public.mv_brand_daily_metrics\"}")
                .contains("mvrefresh_view_missing{view=\"public.mv_not_created_yet\"} 1.0")
                .doesNotContain("mvrefresh_view_missing{view=\"public.mv_ratios\"}")
                .containsPattern(
                        "mvrefresh_cache_keys_invalidated_total\\{strategy=\"pattern\",view=\"public.mv_brand_daily_metrics\"} [1-9]")
                .containsPattern(
                        "mvrefresh_cache_invalidation_duration_seconds_count\\{strategy=\"pattern\"} [1-9]")
                .as("the invalidation histogram per strategy only, unless per-view histograms are on")
                .doesNotContain("mvrefresh_cache_invalidation_duration_seconds_count{strategy=\"pattern\",view=")
                .containsPattern("mvrefresh_cache_invalidation_failures_total\\{view=\"public.mv_sentiment_weekly\"} [1-9]")
                .containsPattern("mvrefresh_cache_invalidation_pending [1-9]");
        // The view that failed is stale by now: staleness is computed at scrape time.
        assertThat(staleness(text, "public.mv_ratios")).isGreaterThanOrEqualTo(3600);
    }

    @Test
    @Order(2)
    void shouldExportEveryMetricTheDashboardAndAlertsUse() throws IOException {
        Set<String> used = new TreeSet<>();
        collect(Files.readString(DASHBOARD), used);
        collect(Files.readString(RULES), used);
        assertThat(used).as("metrics named by the dashboard and rules").hasSizeGreaterThan(8);

        String text = scrape();
        Set<String> exported = new TreeSet<>();
        for (String line : text.split("\n")) {
            if (!line.startsWith("#") && line.startsWith("mvrefresh_")) {
                exported.add(line.replaceAll("[{ ].*$", ""));
            }
        }
        assertThat(exported).containsAll(used);
    }

    @Test
    @Order(3)
    void shouldPassTheAlertRuleTestsInPromtool() throws Exception {
        Path promtool = Path.of(run(List.of("scripts/promtool.sh")).trim());
        Path work = Files.createTempDirectory("mvrefresh-rules");
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        JsonNode rule = yaml.readTree(RULES.toFile());
        assertThat(rule.path("kind").asText()).isEqualTo("PrometheusRule");
        Files.writeString(work.resolve("mvrefresh-rules.yaml"), yaml.writeValueAsString(rule.path("spec")));
        Files.copy(RULES_TEST, work.resolve("rules-test.yaml"));

        assertThat(run(List.of(promtool.toString(), "check", "rules", work.resolve("mvrefresh-rules.yaml").toString())))
                .contains("SUCCESS: 7 rules found");
        assertThat(run(List.of(promtool.toString(), "test", "rules", work.resolve("rules-test.yaml").toString())))
                .contains("SUCCESS");
    }

    private static double staleness(String text, String view) {
        Matcher matcher = Pattern.compile("mvrefresh_view_staleness_seconds\\{view=\"" + Pattern.quote(view) + "\"} (\\S+)")
                .matcher(text);
        assertThat(matcher.find()).isTrue();
        return Double.parseDouble(matcher.group(1));
    }

    private static void collect(String text, Set<String> into) {
        Matcher matcher = METRIC.matcher(text);
        while (matcher.find()) {
            into.add(matcher.group());
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("%s:%n%s", command, output).isZero();
        return output;
    }
}
