package io.mvrefresh.cache;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.CapturedLog;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.DatabaseWithStandby;
import io.mvrefresh.support.Management;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.RedisKeys;
import io.mvrefresh.support.StreamingPair;
import io.mvrefresh.support.TestRun;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A standby whose replay stopped holds invalidations back for replica-wait-max, not for ever. */
@QuarkusTest
@TestProfile(ReplicaWaitMaxTest.Profile.class)
class ReplicaWaitMaxTest {

    static final String PREFIX = TestRun.redisPrefix("replica-wait-max");

    public static class Profile extends DatabaseProfile {

        @Override
        protected String redisPrefix() {
            return PREFIX;
        }

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.invalidation.replicas", "analytics, reporting-*",
                    "mvrefresh.invalidation.replica-wait-max", "2s",
                    "mvrefresh.views.\"public.mv_prices\".invalidate.patterns", PREFIX + "price:*");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(DatabaseWithStandby.class,
                    Map.of("standby", "reporting-7", "fixtures", "replica_prices")));
        }
    }

    @Inject
    Dispatcher dispatcher;

    @Inject
    RedisDataSource redis;

    @Inject
    MutableClock clock;

    private RedisKeys keys;
    private StreamingPair pair;

    @BeforeEach
    void ownKeysOnly() {
        awaitStartupRefreshes(dispatcher);
        keys = new RedisKeys(redis, PREFIX);
        keys.removeAll();
        pair = DatabaseWithStandby.pair();
    }

    @AfterEach
    void cleanUp() {
        pair.resumeReplay();
        keys.removeAll();
    }

    @Test
    void shouldInvalidateAnywayAtReplicaWaitMaxNamingTheStandbyThatLags() {
        keys.create("price", 5);
        double timeoutsBefore = Management.metric("mvrefresh_cache_invalidation_replica_timeouts_total");
        try (CapturedLog log = CapturedLog.of(StandbyReplay.class)) {
            pair.pauseReplay();
            pair.primary(DatabaseWithStandby.DATABASE).execute("UPDATE prices SET price = price + 1 WHERE id = 3");
            long runId = forceRefresh("public.mv_prices").statusCode(200).extract().jsonPath().getLong("runId");
            assertThat(keys.all()).as("kept while the standby lags, within the bound").hasSize(5);

            clock.advance(Duration.ofSeconds(2));
            await().atMost(Duration.ofSeconds(30)).until(() -> keys.all().isEmpty());
            assertThat(Management.metric("mvrefresh_cache_invalidation_replica_timeouts_total")).isEqualTo(timeoutsBefore + 1);
            assertThat(log.warnings()).anyMatch(line -> line.contains("refresh #" + runId) && line.contains("reporting-7")
                    && line.contains("replica-wait-max"));
            // Still not replayed: the keys went because of the bound, not because the standby caught up.
            assertThat(pair.standby(DatabaseWithStandby.DATABASE).value("SELECT price FROM mv_prices WHERE id = 3"))
                    .isEqualTo(100);
        }
        assertThat(given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                .when().get("/admin/runs?view=public.mv_prices&limit=1")
                .then().statusCode(200).extract().jsonPath().getString("[0].invalidation")).isEqualTo("done");
    }
}
