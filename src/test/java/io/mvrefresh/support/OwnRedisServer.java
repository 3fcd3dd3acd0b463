package io.mvrefresh.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * The test class's application uses a {@link RedisProcess} of its own, which the test may stop,
 * start again or freeze without disturbing anyone else's Redis.
 */
public class OwnRedisServer implements QuarkusTestResourceLifecycleManager {

    private static volatile RedisProcess current;

    /** The server of the running test class. */
    public static RedisProcess current() {
        return current;
    }

    @Override
    public Map<String, String> start() {
        current = RedisProcess.start();
        return Map.of("quarkus.redis.hosts", current.hosts());
    }

    @Override
    public void stop() {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
