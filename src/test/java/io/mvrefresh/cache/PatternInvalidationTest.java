package io.mvrefresh.cache;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RedisCli;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.keys.KeyScanArgs;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(PatternInvalidationTest.Profile.class)
class PatternInvalidationTest {

    /** Every key this class writes starts with this, so it never touches anyone else's keys. */
    static final String PREFIX = io.mvrefresh.support.TestRun.redisPrefix("patterns");

    public static class Profile extends DatabaseProfile {

        @Override
        protected String redisPrefix() {
            return PREFIX;
        }

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    // A database index other than 0: the rules act where the application's keys are.
                    "quarkus.redis.hosts", "redis://127.0.0.1:6379/5",
                    "mvrefresh.defaults.interval", "1h",
                    // Small SCAN batches so the test crosses many cursor steps.
                    "mvrefresh.invalidation.scan-count", "25",
                    "mvrefresh.views.\"public.mv_brand_rankings\".invalidate.patterns",
                    PREFIX + "rankings:*," + PREFIX + "leaderboard:?");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    RedisDataSource redis;

    @BeforeEach
    @AfterEach
    void removeThisClassesKeys() {
        Set<String> keys = keys();
        if (!keys.isEmpty()) {
            redis.key().unlink(keys.toArray(String[]::new));
        }
    }

    @Test
    void shouldUnlinkOnlyKeysMatchingTheViewsPatternsAfterItsRefresh() {
        awaitStartupRefreshes(dispatcher);
        Map<String, String> matching = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            matching.put(PREFIX + "rankings:" + i, "stale");
        }
        for (int i = 0; i < 5; i++) {
            matching.put(PREFIX + "leaderboard:" + i, "stale");
        }
        Map<String, String> others = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            others.put(PREFIX + "daily:" + i, "keep");
        }
        others.put(PREFIX + "rankings", "keep: no colon after the prefix");
        others.put(PREFIX + "leaderboard:10", "keep: ? matches one character");
        others.put(PREFIX + "Rankings:1", "keep: patterns are case-sensitive");
        redis.value(String.class).mset(matching);
        redis.value(String.class).mset(others);
        String decoyInDatabaseZero = PREFIX + "rankings:in-database-0";
        RedisCli.run("-n", "0", "SET", decoyInDatabaseZero, "keep: another database");

        // New facts: the daily aggregate's refresh changes rows, and the rankings, which read it, follow with new rows.
        POSTGRES.addFactsNow();
        forceRefresh("public.mv_brand_daily_metrics").statusCode(200).body("outcome", equalTo("success"));

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(keys()).isEqualTo(others.keySet()));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            List<Map<String, Object>> runs = POSTGRES.runsOf("public.mv_brand_rankings");
            return runs.getLast().get("keys_invalidated") != null;
        });
        assertThat(POSTGRES.runsOf("public.mv_brand_rankings").getLast().get("keys_invalidated")).isEqualTo(305L);
        assertThat(RedisCli.run("-n", "0", "EXISTS", decoyInDatabaseZero)).isEqualTo("1");
        RedisCli.run("-n", "0", "DEL", decoyInDatabaseZero);
    }

    private Set<String> keys() {
        return StreamSupport
                .stream(redis.key().scan(new KeyScanArgs().match(PREFIX + "*").count(1000)).toIterable().spliterator(), false)
                .collect(Collectors.toSet());
    }
}
