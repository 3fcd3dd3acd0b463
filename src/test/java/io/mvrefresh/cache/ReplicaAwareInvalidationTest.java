package io.mvrefresh.cache;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.DatabaseWithStandby;
import io.mvrefresh.support.InvalidationMessages;
import io.mvrefresh.support.Management;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RedisKeys;
import io.mvrefresh.support.StreamingPair;
import io.mvrefresh.support.TestRun;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An application caches a view it reads from a streaming standby, filling a missing key from the
 * standby. Invalidating right after the primary's commit lets such a miss put the old rows back;
 * mvrefresh waits until the standby has replayed the refresh. The wait is effectively unbounded
 * here (replica-wait-max 10 minutes), so an invalidation that ends only proves the standby was
 * not, or no longer, waited for.
 */
@QuarkusTest
@TestProfile(ReplicaAwareInvalidationTest.Profile.class)
class ReplicaAwareInvalidationTest {

    static final String PREFIX = TestRun.redisPrefix("replicas");

    public static class Profile extends DatabaseProfile {

        @Override
        protected String redisPrefix() {
            return PREFIX;
        }

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.invalidation.replica-wait-max", "10m",
                    "mvrefresh.views.\"public.mv_prices\".invalidate.patterns", PREFIX + "price:*");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(DatabaseWithStandby.class,
                    Map.of("standby", "reporting-1", "fixtures", "replica_prices")));
        }
    }

    private static final Profile PROFILE = new Profile();

    @Inject
    Dispatcher dispatcher;

    @Inject
    RedisDataSource redis;

    @Inject
    ReactiveRedisDataSource reactiveRedis;

    private RedisKeys keys;
    private StreamingPair pair;

    @BeforeEach
    void ownKeysOnly() {
        awaitStartupRefreshes(dispatcher);
        keys = new RedisKeys(redis, PREFIX);
        keys.removeAll();
        pair = DatabaseWithStandby.pair();
        Postgres primary = pair.primary(DatabaseWithStandby.DATABASE);
        long writes = primary.count("SELECT count(*) FROM prices");
        assertThat(writes).isEqualTo(10);
        // The standby has the schema and every refresh so far before the test reads it.
        String position = (String) primary.value("SELECT pg_current_wal_insert_lsn()::text");
        await().atMost(Duration.ofSeconds(60)).until(() -> (Boolean) pair.standby("postgres")
                .value("SELECT pg_last_wal_replay_lsn() >= ?::pg_lsn", position));
    }

    @AfterEach
    void cleanUp() {
        pair.resumeReplay();
        keys.removeAll();
    }

    /** The application's read-through cache: the key if present, else the standby's row, stored. */
    private String cachedPrice(int id) {
        String key = keys.key("price:" + id);
        String cached = redis.value(String.class).get(key);
        if (cached != null) {
            return cached;
        }
        String price = pair.standby(DatabaseWithStandby.DATABASE).value("SELECT price FROM mv_prices WHERE id = ?", id)
                .toString();
        redis.value(String.class).set(key, price);
        return price;
    }

    @Test
    void shouldInvalidateOnlyOnceTheStandbyShowsTheRefreshSoACacheMissNeverRefillsOldRows() {
        assertThat(cachedPrice(1)).isEqualTo("100");
        double timeoutsBefore = Management.metric("mvrefresh_cache_invalidation_replica_timeouts_total");
        List<String> refilledOnMessage = new CopyOnWriteArrayList<>();
        // A busy application: a request misses the cache the moment the key is gone.
        try (InvalidationMessages messages = new InvalidationMessages(reactiveRedis, PROFILE.invalidationChannel(),
                message -> refilledOnMessage.add(cachedPrice(1)))) {
            pair.pauseReplay();
            pair.primary(DatabaseWithStandby.DATABASE).execute("UPDATE prices SET price = 200 WHERE id = 1");
            JsonPath run = forceRefresh("public.mv_prices").statusCode(200).extract().jsonPath();
            assertThat(run.getString("outcome")).isEqualTo("success");

            // The control: had the key gone now, the next miss would have read this from the standby.
            assertThat(pair.standby(DatabaseWithStandby.DATABASE).value("SELECT price FROM mv_prices WHERE id = 1"))
                    .isEqualTo(100);
            // Committed on the primary, not replayed: the key stays, and the invalidation waits for the standby.
            assertThat(given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                    .when().get("/admin/runs?view=public.mv_prices&limit=1")
                    .then().statusCode(200).extract().jsonPath().getString("[0].invalidation")).isEqualTo("pending");
            assertThat(redis.value(String.class).get(keys.key("price:1"))).isEqualTo("100");

            pair.resumeReplay();
            messages.awaitFor("public.mv_prices", run.getLong("runId"));
            await().atMost(Duration.ofSeconds(20)).until(() -> !refilledOnMessage.isEmpty());
            assertThat(refilledOnMessage).containsOnly("200");
            assertThat(cachedPrice(1)).isEqualTo("200");
        }
        assertThat(Management.metric("mvrefresh_cache_invalidation_replica_wait_seconds_count")).isPositive();
        assertThat(Management.metric("mvrefresh_cache_invalidation_replica_timeouts_total")).isEqualTo(timeoutsBefore);
    }

    @Test
    void shouldNotWaitForALogicalReplicationClient() throws Exception {
        Postgres primary = pair.primary(DatabaseWithStandby.DATABASE);
        Path log = pair.directory().resolve("recvlogical.log");
        // A logical-decoding client that never reports progress on its own: were it taken for a
        // standby, every invalidation would wait for it.
        Process logical = pair.spawn(List.of("pg_recvlogical", "-h", pair.host(), "-p", Integer.toString(pair.primaryPort()),
                "-U", "postgres", "-d", DatabaseWithStandby.DATABASE, "--slot", "mvrefresh_test_logical", "--create-slot",
                "--start", "--status-interval", "3600", "-f", "-"), log);
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> primary.count(
                    "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'pg_recvlogical'") == 1);
            keys.create("price", 10);

            primary.execute("UPDATE prices SET price = price + 1 WHERE id = 2");
            long runId = forceRefresh("public.mv_prices").statusCode(200).extract().jsonPath().getLong("runId");

            await().atMost(Duration.ofSeconds(20)).until(() -> keys.all().isEmpty());
            assertThat(primary.value("SELECT keys_invalidated FROM mvrefresh.refresh_run WHERE id = ?", runId)).isEqualTo(10L);
        } finally {
            logical.destroy();
            logical.waitFor();
            await().atMost(Duration.ofSeconds(30)).until(() -> primary.count(
                    "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'pg_recvlogical'") == 0);
            primary.execute("SELECT pg_drop_replication_slot('mvrefresh_test_logical')");
        }
    }
}
