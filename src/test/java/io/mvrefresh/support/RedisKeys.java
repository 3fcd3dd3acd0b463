package io.mvrefresh.support;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.keys.KeyScanArgs;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/** A test class's own corner of Redis: every key under one prefix, removed before and after. */
public final class RedisKeys {

    private final RedisDataSource redis;
    private final String prefix;

    public RedisKeys(RedisDataSource redis, String prefix) {
        this.redis = redis;
        this.prefix = prefix;
    }

    public String key(String suffix) {
        return prefix + suffix;
    }

    /** Every key under the prefix. */
    public Set<String> all() {
        return StreamSupport
                .stream(redis.key().scan(new KeyScanArgs().match(prefix + "*").count(1000)).toIterable().spliterator(), false)
                .collect(Collectors.toSet());
    }

    /** Keys {@code <prefix><group>:0 .. count-1}, in batches. */
    public Set<String> create(String group, int count) {
        Map<String, String> batch = new HashMap<>();
        for (int i = 0; i < count; i++) {
            batch.put(key(group + ":" + i), "cached");
            if (batch.size() == 1000) {
                redis.value(String.class).mset(batch);
                batch.clear();
            }
        }
        if (!batch.isEmpty()) {
            redis.value(String.class).mset(batch);
        }
        return java.util.stream.IntStream.range(0, count).mapToObj(i -> key(group + ":" + i)).collect(Collectors.toSet());
    }

    public void removeAll() {
        Set<String> keys = all();
        if (!keys.isEmpty()) {
            redis.key().unlink(keys.toArray(String[]::new));
        }
    }
}
