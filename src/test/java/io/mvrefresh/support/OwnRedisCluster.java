package io.mvrefresh.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** The test class's application uses a three-primary {@link RedisClusterProcess} of its own, in cluster mode. */
public class OwnRedisCluster implements QuarkusTestResourceLifecycleManager {

    private static volatile RedisClusterProcess current;

    /** The cluster of the running test class. */
    public static RedisClusterProcess current() {
        return current;
    }

    @Override
    public Map<String, String> start() {
        current = RedisClusterProcess.start(3);
        return Map.of("quarkus.redis.hosts", current.hosts(), "quarkus.redis.client-type", "cluster");
    }

    @Override
    public void stop() {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
