package io.mvrefresh.cache;

import io.mvrefresh.catalog.ViewId;
import io.mvrefresh.config.InvalidationRules;
import io.mvrefresh.config.MvRefreshConfig;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.keys.KeyScanArgs;
import io.quarkus.redis.datasource.keys.ReactiveKeyCommands;
import io.quarkus.redis.datasource.keys.ReactiveKeyScanCursor;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/**
 * Deletes the Redis keys built from a view after it was refreshed. Patterns are walked with
 * {@code SCAN MATCH} and deleted with {@code UNLINK} one batch at a time: never {@code KEYS},
 * which blocks the whole server while it walks the keyspace, and never more than one batch of
 * key names in memory.
 */
@ApplicationScoped
public class CacheInvalidator {

    private final ReactiveKeyCommands<String> keys;
    private final int scanCount;

    public CacheInvalidator(ReactiveRedisDataSource redis, MvRefreshConfig config) {
        this.keys = redis.key();
        this.scanCount = config.invalidation().scanCount();
    }

    /** Applies {@code rules} for {@code view}; answers how many keys were removed. */
    public Uni<Long> invalidate(ViewId view, InvalidationRules rules) {
        Uni<Long> removed = Uni.createFrom().item(0L);
        for (String pattern : rules.patterns()) {
            removed = removed.flatMap(total -> unlinkMatching(pattern).map(count -> total + count));
        }
        return removed;
    }

    private Uni<Long> unlinkMatching(String pattern) {
        ReactiveKeyScanCursor<String> cursor = keys.scan(new KeyScanArgs().match(pattern).count(scanCount));
        return drain(cursor, 0L);
    }

    private Uni<Long> drain(ReactiveKeyScanCursor<String> cursor, long removedSoFar) {
        if (!cursor.hasNext()) {
            return Uni.createFrom().item(removedSoFar);
        }
        return cursor.next()
                .flatMap(this::unlink)
                .flatMap(removed -> drain(cursor, removedSoFar + removed));
    }

    private Uni<Long> unlink(Set<String> batch) {
        if (batch.isEmpty()) {
            return Uni.createFrom().item(0L);
        }
        // SCAN may return a key twice; UNLINK counts only keys that existed, so the total stays exact.
        return keys.unlink(batch.toArray(String[]::new)).map(Integer::longValue);
    }
}
