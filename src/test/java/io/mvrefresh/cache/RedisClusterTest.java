package io.mvrefresh.cache;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.mvrefresh.support.Refreshes.settle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.InvalidationMessages;
import io.mvrefresh.support.OwnRedisCluster;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RedisClusterProcess;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pattern, tag and generation invalidation on a three-primary Redis Cluster: keys spread over
 * every primary, a tag whose members live in many slots, and a slot moving while it is walked.
 */
@QuarkusTest
@TestProfile(RedisClusterTest.Profile.class)
class RedisClusterTest {

    static final String PREFIX = "mvrefresh-cluster:";

    public static class Profile extends DatabaseProfile {

        @Override
        protected boolean ownRedisCluster() {
            return true;
        }

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.invalidation.scan-count", "100",
                    "mvrefresh.views.\"public.mv_brand_daily_metrics\".invalidate.patterns", PREFIX + "daily:*",
                    "mvrefresh.views.\"public.mv_brand_rankings\".invalidate.tags",
                    PREFIX + "tag:rankings," + PREFIX + "{ranked}:tag",
                    "mvrefresh.views.\"public.mv_metric_summary\".invalidate.generation-key", PREFIX + "generation:summary");
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

    private RedisClusterProcess cluster;

    @BeforeEach
    void clean() {
        awaitStartupRefreshes(dispatcher);
        cluster = OwnRedisCluster.current();
        for (int port : cluster.ports()) {
            cluster.cli(port, "FLUSHALL");
        }
    }

    /**
     * Writes each key on its own (a multi-key write across slots is what a cluster refuses), a few
     * at a time: each command takes a connection to every primary from their pools, and more at
     * once than a pool holds can leave them waiting on each other.
     */
    private void write(Iterable<String> keys) {
        List<Uni<Void>> writes = new ArrayList<>();
        keys.forEach(key -> writes.add(reactiveRedis.value(String.class).set(key, "cached")));
        for (int from = 0; from < writes.size(); from += 4) {
            Uni.join().all(writes.subList(from, Math.min(writes.size(), from + 4))).andFailFast().await()
                    .atMost(Duration.ofSeconds(30));
        }
    }

    private static List<String> keys(String group, int count) {
        return IntStream.range(0, count).mapToObj(i -> PREFIX + group + ":" + i).toList();
    }

    /** Every key of the cluster, read node by node. */
    private Set<String> everyKey() {
        Set<String> all = new HashSet<>();
        for (int port : cluster.ports()) {
            cluster.cli(port, "--scan", "--pattern", "*").lines().filter(line -> !line.isBlank()).forEach(all::add);
        }
        return all;
    }

    @Test
    void shouldRemoveMatchingKeysOnEveryPrimaryAndDrainTagsAcrossSlots() {
        List<String> daily = keys("daily", 3000);
        List<String> others = keys("weekly", 1000);
        write(daily);
        write(others);
        for (int port : cluster.ports()) {
            assertThat(Long.parseLong(cluster.cli(port, "DBSIZE"))).as("keys on the primary at %d", port).isGreaterThan(500);
        }
        List<String> ranked = keys("ranked", 400);
        write(ranked);
        redis.set(String.class).sadd(PREFIX + "tag:rankings", ranked.subList(0, 200).toArray(String[]::new));
        redis.set(String.class).sadd(PREFIX + "{ranked}:tag", ranked.subList(200, 400).toArray(String[]::new));
        redis.value(Long.class).set(PREFIX + "generation:summary", 41L);

        POSTGRES.addFactsNow();
        try (InvalidationMessages messages = new InvalidationMessages(reactiveRedis, PROFILE.invalidationChannel())) {
            forceRefresh("public.mv_brand_daily_metrics").statusCode(200).body("outcome", equalTo("success"));
            forceRefresh("public.mv_metric_summary").statusCode(200).body("outcome", equalTo("success"));
            settle(dispatcher);

            JsonNode dailyMessage = messages.awaitAnyFor("public.mv_brand_daily_metrics");
            JsonNode rankingsMessage = messages.awaitAnyFor("public.mv_brand_rankings");
            assertThat(dailyMessage.path("keysRemoved").asLong()).isEqualTo(3000);
            assertThat(rankingsMessage.path("keysRemoved").asLong()).isEqualTo(400);
        }
        Set<String> left = everyKey();
        assertThat(left).doesNotContainAnyElementsOf(daily).doesNotContainAnyElementsOf(ranked).containsAll(others);
        assertThat(left).noneMatch(key -> key.contains("tag"));
        assertThat(redis.value(Long.class).get(PREFIX + "generation:summary")).isEqualTo(42L);
    }

    @Test
    void shouldRemoveKeysOfASlotMovingDuringTheWalkAndAfterItMoved() {
        // One slot's keys: a hash tag puts them together.
        List<String> moving = keys("daily:{moving}", 200);
        write(moving);
        int slot = Integer.parseInt(cluster.cli(cluster.ports().get(0), "CLUSTER", "KEYSLOT", moving.get(0)));
        int source = cluster.ownerOf(slot);
        int target = cluster.ports().stream().filter(port -> port != source).findFirst().orElseThrow();
        // Half of the slot's keys have reached the importing primary, half not yet.
        cluster.beginMigration(slot, target);
        cluster.migrateKeys(source, target, moving.subList(0, 100));
        List<String> spread = keys("daily", 500);
        write(spread);

        POSTGRES.addFactsNow();
        forceRefresh("public.mv_brand_daily_metrics").statusCode(200).body("outcome", equalTo("success"));
        settle(dispatcher);

        assertThat(everyKey()).doesNotContainAnyElementsOf(moving).doesNotContainAnyElementsOf(spread);
        assertThat(
                POSTGRES.value("SELECT keys_invalidated FROM mvrefresh.refresh_run WHERE view = 'public.mv_brand_daily_metrics'"
                        + " ORDER BY id DESC LIMIT 1"))
                .isEqualTo(700L);

        // The slot has moved: the client's map of slots is out of date until a MOVED tells it.
        cluster.finishMigration(slot, target);
        List<String> moved = keys("daily:{moving}:after", 50);
        write(moved);
        assertThat(cluster.cli(target, "DBSIZE")).isNotEqualTo("0");

        POSTGRES.addFactsNow();
        forceRefresh("public.mv_brand_daily_metrics").statusCode(200).body("outcome", equalTo("success"));
        settle(dispatcher);

        assertThat(everyKey()).doesNotContainAnyElementsOf(moved);
    }
}
