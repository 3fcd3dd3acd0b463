package io.mvrefresh.support;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Base of every test profile: its own database named after the profile, the admin token tests
 * use, and the settings the subclass adds. Each profile restarts the application, so classes
 * never share state.
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

    /** Whether the application reaches PostgreSQL through a {@link TcpProxy} the test can cut. */
    protected boolean viaProxy() {
        return false;
    }

    /** The database this profile's application uses. */
    public String database() {
        return "mvrefresh_test_" + getClass().getName().replaceAll("[^A-Za-z0-9]+", "_").toLowerCase(Locale.ROOT)
                .replace("io_mvrefresh_", "");
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> config = new HashMap<>();
        config.put("mvrefresh.admin.token", ADMIN_TOKEN);
        config.put("mvrefresh.instance", "test");
        config.putAll(settings());
        return config;
    }

    @Override
    public List<TestResourceEntry> testResources() {
        TestResourceEntry database = new TestResourceEntry(IsolatedDatabase.class,
                Map.of("database", database(), "fixtures", String.join(",", fixtures()), "proxy", Boolean.toString(viaProxy()),
                        "redis-prefix", redisPrefix()));
        return ownRedis() ? List.of(database, new TestResourceEntry(OwnRedisServer.class)) : List.of(database);
    }
}
