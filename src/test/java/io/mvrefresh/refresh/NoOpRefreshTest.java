package io.mvrefresh.refresh;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.mvrefresh.support.Refreshes.settle;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.CapturedLog;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.InvalidationMessages;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RedisKeys;
import io.mvrefresh.support.TestRun;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A CONCURRENTLY refresh whose merge changed no row is a success with {@code rows_changed = 0}: it
 * removes no cache key, announces nothing and makes no reader due. One that changed rows counts
 * them and does all three; a plain refresh cannot tell and behaves as changed.
 */
@QuarkusTest
@TestProfile(NoOpRefreshTest.Profile.class)
class NoOpRefreshTest {

    static final String PREFIX = TestRun.redisPrefix("noop");

    public static class Profile extends DatabaseProfile {

        @Override
        protected String redisPrefix() {
            return PREFIX;
        }

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.views.\"public.mv_paid_orders\".invalidate.patterns", PREFIX + "paid:*",
                    "mvrefresh.views.\"public.mv_paid_total\".invalidate.patterns", PREFIX + "total:*",
                    "mvrefresh.views.\"public.mv_paid_orders_plain\".invalidate.patterns", PREFIX + "plain:*");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("noop_refresh");
        }
    }

    private static final Profile PROFILE = new Profile();
    private static final Postgres POSTGRES = new Postgres(PROFILE.database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    RedisDataSource redis;

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

    private long readerRuns() {
        return POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE view = 'public.mv_paid_total'");
    }

    @Test
    void shouldKeepKeysAndReadersWhenARefreshChangedNoRowAndInvalidateWhenItDid() {
        Set<String> paid = keys.create("paid", 50);
        Set<String> total = keys.create("total", 20);
        long readerRunsBefore = readerRuns();

        try (InvalidationMessages messages = new InvalidationMessages(reactiveRedis, PROFILE.invalidationChannel());
                CapturedLog log = CapturedLog.of(RefreshExecutor.class)) {
            // Written, but only rows the view filters out.
            POSTGRES.execute("UPDATE noop_orders SET amount = amount + 1 WHERE status = 'open'");
            JsonPath unchanged = forceRefresh("public.mv_paid_orders").statusCode(200).extract().jsonPath();
            settle(dispatcher);

            assertThat(unchanged.getString("outcome")).isEqualTo("success");
            assertThat(unchanged.getString("mode")).isEqualTo("concurrent");
            assertThat(unchanged.getLong("rowsChanged")).isZero();
            assertThat(unchanged.getString("invalidation")).isEqualTo("none");
            assertThat(POSTGRES.value("SELECT rows_changed FROM mvrefresh.refresh_run WHERE id = ?", unchanged.getLong("runId")))
                    .isEqualTo(0L);
            assertThat(keys.all()).containsAll(paid).containsAll(total);
            assertThat(readerRuns()).isEqualTo(readerRunsBefore);
            assertThat(
                    POSTGRES.value("SELECT invalidation_owed_run FROM mvrefresh.view_state WHERE view = 'public.mv_paid_orders'"))
                    .isNull();
            assertThat(POSTGRES.value("SELECT cascade_owed_at FROM mvrefresh.view_state WHERE view = 'public.mv_paid_total'"))
                    .isNull();
            assertThat(log.lines()).anyMatch(line -> line.contains("#" + unchanged.getLong("runId") + " ")
                    && line.contains("no row changed, cache keys kept, readers not due"));

            // Two paid orders change and one more is paid: two rows deleted and three inserted by the merge.
            POSTGRES.execute("UPDATE noop_orders SET amount = amount + 1 WHERE id IN (2, 4)");
            POSTGRES.execute("UPDATE noop_orders SET status = 'paid' WHERE id = 1");
            JsonPath changed = forceRefresh("public.mv_paid_orders").statusCode(200).extract().jsonPath();
            settle(dispatcher);

            assertThat(changed.getLong("rowsChanged")).isEqualTo(5);
            messages.awaitFor("public.mv_paid_orders", changed.getLong("runId"));
            assertThat(messages.received()).noneMatch(message -> message.path("runId").asLong() == unchanged.getLong("runId"));
            assertThat(keys.all()).doesNotContainAnyElementsOf(paid).doesNotContainAnyElementsOf(total);
            assertThat(readerRuns()).isEqualTo(readerRunsBefore + 1);
            assertThat(POSTGRES.value("SELECT trigger FROM mvrefresh.refresh_run WHERE view = 'public.mv_paid_total'"
                    + " ORDER BY id DESC LIMIT 1")).isEqualTo("dependency");
            List<Integer> history = given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                    .queryParam("view", "public.mv_paid_orders").queryParam("limit", 2)
                    .when().get("/admin/runs")
                    .then().statusCode(200).extract().jsonPath().getList("rowsChanged");
            assertThat(history).containsExactly(5, 0);
        }
    }

    @Test
    void shouldTreatAPlainRefreshAsChangedForItCannotTell() {
        Set<String> plain = keys.create("plain", 10);

        JsonPath run = forceRefresh("public.mv_paid_orders_plain").statusCode(200).extract().jsonPath();
        settle(dispatcher);

        assertThat(run.getString("mode")).isEqualTo("blocking");
        assertThat(run.getString("rowsChanged")).isNull();
        assertThat(POSTGRES.value("SELECT rows_changed FROM mvrefresh.refresh_run WHERE id = ?", run.getLong("runId"))).isNull();
        assertThat(keys.all()).doesNotContainAnyElementsOf(plain);
    }
}
