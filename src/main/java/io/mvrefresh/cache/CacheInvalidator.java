package io.mvrefresh.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.config.InvalidationRules;
import io.mvrefresh.metrics.CacheMetrics;
import io.mvrefresh.vocabulary.InvalidationStrategy;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.keys.KeyScanArgs;
import io.quarkus.redis.datasource.keys.ReactiveKeyCommands;
import io.quarkus.redis.datasource.keys.ReactiveKeyScanCursor;
import io.quarkus.redis.datasource.keys.RedisValueType;
import io.quarkus.redis.datasource.pubsub.ReactivePubSubCommands;
import io.quarkus.redis.datasource.set.ReactiveSetCommands;
import io.quarkus.redis.datasource.value.ReactiveValueCommands;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Deletes the Redis keys built from a view after its refresh committed, then announces it.
 *
 * <p>Order: the generation key first (one INCR, and every reader using it moves to new keys at
 * once), then tag sets, then patterns (the slowest). Patterns are walked with {@code SCAN MATCH}
 * and the names found are deleted with {@code UNLINK} once about {@code scan-count} of them have
 * gathered: never {@code KEYS}, which blocks the server for the whole walk. One command at a time,
 * so another client's command waits behind one SCAN or one UNLINK at most, never behind a pair;
 * and when matches are sparse (50 in a SCAN of 1,000 slots) gathering them saves most UNLINK round
 * trips. At most about {@code scan-count} names are held in memory. Every command has a timeout,
 * so a hung Redis fails the attempt instead of stalling it.
 *
 * <p>On a Redis Cluster ({@link ClusterKeys}) a pattern is walked on every primary, names are
 * unlinked slot by slot, and a tag's draining set is named so that it shares the tag's slot.
 */
@ApplicationScoped
public class CacheInvalidator {

    /** Where a tag set's members wait while they are deleted; see {@link #invalidateTag}. */
    static final String DRAINING_SUFFIX = ":mvrefresh-draining";
    /** Renames of a tag tried in one attempt while other invalidations keep taking the draining name. */
    static final int RENAME_ATTEMPTS = 5;

    private final ReactiveKeyCommands<String> keys;
    private final ReactiveSetCommands<String, String> sets;
    private final ReactiveValueCommands<String, Long> counters;
    private final ReactivePubSubCommands<String> pubsub;
    private final CacheMetrics metrics;
    private final ObjectMapper json;
    private final Clock clock;
    private final int scanCount;
    private final Duration commandTimeout;
    private final Optional<String> channel;
    private final ClusterKeys cluster;

    public CacheInvalidator(ReactiveRedisDataSource redis, ClusterKeys cluster, CacheMetrics metrics, ObjectMapper json,
            Clock clock, GlobalSettings config) {
        this.cluster = cluster;
        this.keys = redis.key();
        this.sets = redis.set(String.class);
        this.counters = redis.value(Long.class);
        this.pubsub = redis.pubsub(String.class);
        this.metrics = metrics;
        this.json = json;
        this.clock = clock;
        this.scanCount = config.invalidation().scanCount();
        this.commandTimeout = config.invalidation().commandTimeout();
        this.channel = config.invalidation().channel();
    }

    /**
     * Applies {@code request}'s rules and publishes the message. {@code removed} counts every key
     * deleted as it goes, so a failed attempt still tells how many it removed; it starts at the
     * request's earlier attempts' count. A failure part way leaves the rest for the retry: every
     * step is safe to repeat.
     */
    public Uni<Void> invalidate(InvalidationRequest request, AtomicLong removed) {
        InvalidationRules rules = request.rules();
        String view = request.view().toString();
        Uni<Void> done = Uni.createFrom().voidItem();
        if (rules.generationKey().isPresent()) {
            String key = rules.generationKey().get();
            done = done.call(() -> timed(view, InvalidationStrategy.GENERATION, removed,
                    () -> bounded(counters.incr(key)).replaceWithVoid()));
        }
        for (String tag : rules.tags()) {
            done = done.call(() -> timed(view, InvalidationStrategy.TAG, removed, () -> invalidateTag(tag, removed)));
        }
        for (String pattern : rules.patterns()) {
            done = done.call(() -> timed(view, InvalidationStrategy.PATTERN, removed, () -> unlinkMatching(pattern, removed)));
        }
        return done.call(() -> publish(request, removed.get()));
    }

    /** Runs one strategy and records its time and the keys it removed (what {@code removed} grew by). */
    private Uni<Void> timed(String view, InvalidationStrategy strategy, AtomicLong removed, Supplier<Uni<Void>> work) {
        Instant started = clock.instant();
        long before = removed.get();
        return work.get().invoke(() -> metrics.strategyCompleted(view, strategy, Duration.between(started, clock.instant()),
                removed.get() - before));
    }

    private Uni<Void> unlinkMatching(String pattern, AtomicLong removed) {
        if (cluster.enabled()) {
            return cluster.unlinkMatching(pattern, scanCount, commandTimeout, removed);
        }
        ReactiveKeyScanCursor<String> cursor = keys.scan(new KeyScanArgs().match(pattern).count(scanCount));
        return drain(() -> cursor.hasNext(), () -> cursor.next(), new ArrayList<>(), removed);
    }

    /**
     * A tag set is first renamed out of the way (atomically), so a reader adding a member while
     * it is drained starts a fresh set instead of adding to one about to be deleted. The draining
     * set is emptied member by member, each removed from it only once its key is unlinked, and
     * never deleted whole: Redis drops a set when its last member goes. So a drain cut short is
     * finished by the next one, and two invalidations of one tag at once (two replicas) share the
     * work instead of one deleting a set the other just renamed.
     */
    private Uni<Void> invalidateTag(String tag, AtomicLong removed) {
        String draining;
        try {
            draining = drainingKey(tag);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(e);
        }
        return bounded(keys.type(tag)).invoke(type -> {
            // Checked before the rename: a misconfigured tag must fail loudly and stay where it is.
            if (type != RedisValueType.SET && type != RedisValueType.NONE) {
                throw new IllegalStateException(
                        "tag key " + tag + " holds a " + type.name().toLowerCase(Locale.ROOT)
                                + ", not a set: fix invalidate.tags or the application that writes it");
            }
        }).call(() -> renameAndDrain(tag, draining, removed, 1)).replaceWithVoid();
    }

    private Uni<Void> renameAndDrain(String tag, String draining, AtomicLong removed, int attempt) {
        // First what a drain cut short left, or what another invalidation is draining right now.
        return drainSet(draining, removed)
                .call(() -> bounded(keys.renamenx(tag, draining))
                        // No set: nothing was cached under this tag since its last invalidation. The
                        // client reports Redis' "no such key" for RENAMENX as NoSuchElementException.
                        .onFailure(NoSuchElementException.class).recoverWithNull()
                        .call(renamed -> {
                            if (renamed == null) {
                                return Uni.createFrom().voidItem();
                            }
                            if (renamed) {
                                return drainSet(draining, removed);
                            }
                            // Another invalidation renamed the tag's newer members in between: drain them too.
                            if (attempt >= RENAME_ATTEMPTS) {
                                throw new IllegalStateException("tag " + tag + " is being drained by other invalidations;"
                                        + " its newer members are invalidated on the next attempt");
                            }
                            return renameAndDrain(tag, draining, removed, attempt + 1);
                        }));
    }

    /**
     * Where {@code tag}'s members wait while they are deleted. On a cluster it must share the tag's
     * slot, or the RENAMENX fails with CROSSSLOT: a tag with a hash tag keeps it, any other is
     * wrapped in one.
     */
    String drainingKey(String tag) {
        if (!cluster.enabled()) {
            return tag + DRAINING_SUFFIX;
        }
        int slot = ClusterKeys.slotOf(tag);
        for (String candidate : List.of(tag + DRAINING_SUFFIX, "{" + tag + "}" + DRAINING_SUFFIX)) {
            if (ClusterKeys.slotOf(candidate) == slot) {
                return candidate;
            }
        }
        throw new IllegalArgumentException("tag key " + tag + " cannot be drained on a Redis Cluster: no name for its draining"
                + " set falls in its slot; give the tag a hash tag, e.g. {" + tag.replace("{", "").replace("}", "") + "}");
    }

    /** Empties {@code set}: a batch of members, their keys unlinked, then those members removed, until none is left. */
    private Uni<Void> drainSet(String set, AtomicLong removed) {
        return bounded(sets.srandmember(set, scanCount)).flatMap(members -> members.isEmpty()
                ? Uni.createFrom().voidItem()
                : unlink(members, removed).call(() -> bounded(sets.srem(set, members.toArray(String[]::new))))
                        .flatMap(ignored -> drainSet(set, removed)));
    }

    /** Walks a cursor, unlinking what it found whenever a batch's worth has gathered, and the rest at the end. */
    private Uni<Void> drain(Supplier<Boolean> hasNext, Supplier<Uni<? extends Collection<String>>> next,
            List<String> gathered, AtomicLong removed) {
        if (!hasNext.get()) {
            return unlink(gathered, removed).replaceWithVoid();
        }
        return bounded(next.get()).flatMap(found -> {
            gathered.addAll(found);
            if (gathered.size() < scanCount) {
                return drain(hasNext, next, gathered, removed);
            }
            return unlink(gathered, removed).flatMap(ignored -> drain(hasNext, next, new ArrayList<>(), removed));
        });
    }

    /** Unlinks one batch, adding the keys that existed to {@code removed}; answers that number. */
    private Uni<Integer> unlink(Collection<String> batch, AtomicLong removed) {
        if (batch.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        // SCAN may return a key twice; UNLINK counts only keys that existed, so the total stays exact.
        Uni<Integer> unlinked = cluster.enabled() ? cluster.unlink(batch) : keys.unlink(batch.toArray(String[]::new));
        return bounded(unlinked).invoke(count -> removed.addAndGet(count));
    }

    private Uni<Void> publish(InvalidationRequest request, long keysRemoved) {
        if (channel.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        ObjectNode message = json.createObjectNode()
                .put("view", request.view().toString())
                .put("runId", request.runId())
                .put("refreshedAt", request.refreshedAt().toString())
                .put("keysRemoved", keysRemoved);
        request.trace().traceparent().ifPresent(traceparent -> message.put("traceparent", traceparent));
        try {
            return bounded(pubsub.publish(channel.get(), json.writeValueAsString(message)));
        } catch (JsonProcessingException e) {
            return Uni.createFrom().failure(e);
        }
    }

    private <T> Uni<T> bounded(Uni<T> command) {
        return command.ifNoItem().after(commandTimeout).failWith(() -> new RedisTimeoutException(commandTimeout));
    }

    /** A Redis command that did not answer in time. */
    static final class RedisTimeoutException extends RuntimeException {

        RedisTimeoutException(Duration timeout) {
            super("Redis did not answer within " + timeout.toMillis() + " ms (mvrefresh.invalidation.command-timeout)", null,
                    false, false);
        }
    }
}
