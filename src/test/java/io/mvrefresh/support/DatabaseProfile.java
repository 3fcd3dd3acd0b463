package io.mvrefresh.support;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Base of every test profile: its own database named after the profile (and this run, see
 * {@link TestRun}), random free ports, the admin token tests use, the dispatcher's timers off (the
 * test ticks it with a settable clock), and the settings the subclass adds. Each profile restarts
 * the application, so classes never share state.
 */
public abstract class DatabaseProfile implements QuarkusTestProfile {

    public static final String ADMIN_TOKEN = "test-token";

    /** Settings of this test class. */
    protected abstract Map<String, String> settings();

    /** Fixture SQL files (under src/test/resources/fixtures) loaded after the star schema. */
    protected List<String> fixtures() {
        return List.of();
    }

    /**
     * The prefix of every Redis key this class uses, removed before the application starts (so
     * nothing an earlier, interrupted run left behind meets its startup refreshes). Empty: none.
     */
    protected String redisPrefix() {
        return "";
    }

    /** Whether the application uses a Redis server of the test's own ({@link OwnRedisServer}). */
    protected boolean ownRedis() {
        return false;
    }

    /** Whether the application uses a Redis Cluster of the test's own ({@link OwnRedisCluster}). */
    protected boolean ownRedisCluster() {
        return false;
    }

    /** Whether the application reaches PostgreSQL through a {@link TcpProxy} the test can cut. */
    protected boolean viaProxy() {
        return false;
    }

    /** Whether the application reaches PostgreSQL through a {@link PgBouncerProcess} in session mode. */
    protected boolean viaPgBouncer() {
        return false;
    }

    /**
     * Whether the dispatcher ticks by itself (poll and wake-up timers). Off by default: the test
     * calls {@code Dispatcher.tick()} when it wants a tick, so nothing happens behind its back.
     */
    protected boolean timers() {
        return false;
    }

    /** The database this profile's application uses. */
    public String database() {
        return TestRun.database(getClass().getName().replace("io.mvrefresh.", "").replace("$Profile", ""));
    }

    /** The Redis pub/sub channel this profile's application announces invalidations on. */
    public String invalidationChannel() {
        return TestRun.redisPrefix(getClass().getSimpleName()) + "invalidations";
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> config = new HashMap<>();
        config.put("mvrefresh.admin.token", ADMIN_TOKEN);
        // Unique per run: another checkout running the suite beside this one is another instance.
        config.put("mvrefresh.instance", "test-" + TestRun.ID);
        config.put("mvrefresh.scheduler.timers", Boolean.toString(timers()));
        config.put("mvrefresh.invalidation.channel", invalidationChannel());
        config.put("quarkus.http.test-port", "0");
        config.put("quarkus.management.test-port", "0");
        config.putAll(settings());
        return config;
    }

    @Override
    public List<TestResourceEntry> testResources() {
        TestResourceEntry database = new TestResourceEntry(IsolatedDatabase.class,
                Map.of("database", database(), "fixtures", String.join(",", fixtures()), "proxy", Boolean.toString(viaProxy()),
                        "pgbouncer", Boolean.toString(viaPgBouncer()),
                        "redis-prefix", redisPrefix()));
        if (ownRedisCluster()) {
            return List.of(database, new TestResourceEntry(OwnRedisCluster.class));
        }
        return ownRedis() ? List.of(database, new TestResourceEntry(OwnRedisServer.class)) : List.of(database);
    }
}
