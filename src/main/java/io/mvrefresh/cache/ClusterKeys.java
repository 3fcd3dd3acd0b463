package io.mvrefresh.cache;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.impl.ZModem;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * What invalidation needs from a Redis Cluster ({@code quarkus.redis.client-type=cluster}) beyond
 * single-key commands, which the cluster client routes by itself.
 *
 * <ul>
 * <li>A pattern is walked on every primary: {@code SCAN} answers for the node it is sent to only.
 * Each primary gets a connection of its own, found through {@code CLUSTER SLOTS} at every walk, so
 * a node added or failed over since is walked too. Replicas are never scanned: their keys are the
 * primaries'.</li>
 * <li>A walk while slots move (a resharding, a scale-out) may miss a key that moved from a primary
 * not yet walked to one already walked: the walk is repeated while the cluster reports a slot
 * migrating, or when slot ownership changed during it.</li>
 * <li>Keys are unlinked slot by slot (a multi-key {@code UNLINK} across slots fails with
 * {@code CROSSSLOT}), on one cluster connection that pipelines them and follows {@code MOVED} and
 * {@code ASK}; a slot caught mid-migration ({@code TRYAGAIN}) is unlinked key by key.</li>
 * </ul>
 */
@ApplicationScoped
public class ClusterKeys {

    /** Walks of one pattern at most while slots keep moving; then what was found is what is removed. */
    static final int MAX_WALKS = 3;

    private final boolean enabled;
    private final Redis cluster;
    private final Vertx vertx;
    private final Optional<URI> seed;
    private final Optional<String> password;
    private final Map<String, Redis> primaries = new ConcurrentHashMap<>();

    public ClusterKeys(@ConfigProperty(name = "quarkus.redis.client-type", defaultValue = "standalone") String clientType,
            @ConfigProperty(name = "quarkus.redis.hosts") Optional<List<URI>> hosts,
            @ConfigProperty(name = "quarkus.redis.password") Optional<String> password, Redis cluster, Vertx vertx) {
        this.enabled = clientType.trim().equalsIgnoreCase("cluster");
        this.cluster = cluster;
        this.vertx = vertx;
        this.seed = hosts.flatMap(list -> list.stream().findFirst());
        this.password = password;
    }

    /** Whether Redis is a cluster (then patterns and unlinks go through here). */
    public boolean enabled() {
        return enabled;
    }

    /** The hash slot of {@code key}, hash tags ({@code {...}}) honoured. */
    public static int slotOf(String key) {
        return ZModem.generate(key);
    }

    /**
     * Runs {@code walk} on every primary (all at once: they are separate servers), again while
     * slots were moving; answers when every walk is done.
     */
    public Uni<Void> onEveryPrimary(Function<Redis, Uni<Void>> walk) {
        return walkFrom(1, walk);
    }

    private Uni<Void> walkFrom(int attempt, Function<Redis, Uni<Void>> walk) {
        return layout().flatMap(before -> Uni.join()
                .all(before.primaries().stream().map(endpoint -> walk.apply(primary(endpoint))).toList())
                .andFailFast()
                .flatMap(walked -> layout())
                .flatMap(after -> {
                    if (!before.moving() && !after.moving() && before.equals(after)) {
                        return Uni.createFrom().voidItem();
                    }
                    if (attempt >= MAX_WALKS) {
                        Log.warnf("cache: slots kept moving through %d walks; keys that moved during the last one may remain"
                                + " until their TTL", attempt);
                        return Uni.createFrom().voidItem();
                    }
                    return walkFrom(attempt + 1, walk);
                }));
    }

    /**
     * Unlinks {@code keys}, slot by slot, on one cluster connection; answers how many existed.
     * Safe to repeat: a key already gone counts nothing.
     */
    public Uni<Integer> unlink(Collection<String> keys) {
        Map<Integer, List<String>> bySlot = new LinkedHashMap<>();
        for (String key : keys) {
            bySlot.computeIfAbsent(slotOf(key), slot -> new ArrayList<>()).add(key);
        }
        return cluster.connect().flatMap(conn -> Uni.join()
                .all(bySlot.values().stream().map(slotKeys -> unlinkSlot(conn, slotKeys)).toList())
                .andFailFast()
                .map(counts -> counts.stream().mapToInt(Integer::intValue).sum())
                .onTermination().call(() -> conn.close().onFailure().recoverWithNull()));
    }

    private static Uni<Integer> unlinkSlot(RedisConnection conn, List<String> keys) {
        return conn.send(unlinkOf(keys)).map(Response::toInteger)
                // Some of the slot's keys have moved to the node importing it, some not yet: each on
                // its own follows its ASK.
                .onFailure(failure -> keys.size() > 1 && String.valueOf(failure.getMessage()).startsWith("TRYAGAIN"))
                .recoverWithUni(() -> Uni.join().all(keys.stream().map(key -> conn.send(unlinkOf(List.of(key)))
                        .map(Response::toInteger)).toList()).andFailFast()
                        .map(counts -> counts.stream().mapToInt(Integer::intValue).sum()));
    }

    private static Request unlinkOf(List<String> keys) {
        Request unlink = Request.cmd(Command.UNLINK);
        keys.forEach(unlink::arg);
        return unlink;
    }

    /** Which primaries own slots, and whether any slot is migrating. */
    private Uni<Layout> layout() {
        return cluster.send(Request.cmd(Command.CLUSTER).arg("SLOTS")).flatMap(slots -> {
            List<String> endpoints = new ArrayList<>();
            List<String> owners = new ArrayList<>();
            for (Response range : slots) {
                Response owner = range.get(2);
                String host = owner.get(0).toString();
                String endpoint = (host.isEmpty() ? seed.map(URI::getHost).orElse("127.0.0.1") : host) + ":"
                        + owner.get(1).toInteger();
                owners.add(range.get(0).toInteger() + "-" + range.get(1).toInteger() + "@" + endpoint);
                if (!endpoints.contains(endpoint)) {
                    endpoints.add(endpoint);
                }
            }
            owners.sort(null);
            endpoints.sort(null);
            // A migrating or importing slot shows only in the owning node's own line of CLUSTER NODES.
            List<Uni<Boolean>> moving = endpoints.stream().map(endpoint -> primary(endpoint)
                    .send(Request.cmd(Command.CLUSTER).arg("NODES"))
                    .map(nodes -> nodes.toString().lines().anyMatch(line -> line.contains("myself") && line.contains("["))))
                    .toList();
            return Uni.join().all(moving)
                    .andFailFast()
                    .map(answers -> new Layout(endpoints, owners, answers.contains(Boolean.TRUE)));
        });
    }

    private record Layout(List<String> primaries, List<String> owners, boolean moving) {
    }

    /** A connection pool of one primary's own, with the scheme, user and password of the configured hosts. */
    private Redis primary(String endpoint) {
        return primaries.computeIfAbsent(endpoint, address -> {
            String scheme = seed.map(URI::getScheme).orElse("redis");
            String user = seed.map(URI::getRawUserInfo).map(info -> info + "@").orElse("");
            RedisOptions options = new RedisOptions().setType(RedisClientType.STANDALONE)
                    .setConnectionString(scheme + "://" + user + address)
                    .setMaxPoolSize(2).setMaxPoolWaiting(16);
            password.ifPresent(options::setPassword);
            return Redis.createClient(vertx, options);
        });
    }

    @PreDestroy
    void close() {
        primaries.values().forEach(Redis::close);
        primaries.clear();
    }
}
