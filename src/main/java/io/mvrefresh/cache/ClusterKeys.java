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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    private static final Pattern MOVING_SLOT = Pattern.compile("\\[(\\d+)-[<>]-");

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
     * Unlinks every key matching {@code pattern} on every primary, all primaries at once (they
     * are separate servers), again while slots were moving; adds the keys that existed to
     * {@code removed}. Each primary is walked like a careful script would: one {@code SCAN} page,
     * then its names unlinked on that primary, slot by slot, in one pipelined batch, then the next
     * page, so another client's command waits behind one page's worth at most.
     */
    public Uni<Void> unlinkMatching(String pattern, int count, Duration timeout, AtomicLong removed) {
        // One connection per primary's walk: its SCANs and UNLINKs need no trip through the pool.
        return walkFrom(1, (primary, moving) -> primary.connect().flatMap(conn -> walkPage(conn, moving, pattern, count, timeout,
                "0", removed).onTermination().call(() -> conn.close().onFailure().recoverWithNull())));
    }

    private Uni<Void> walkPage(RedisConnection primary, Set<Integer> moving, String pattern, int count, Duration timeout,
            String cursor, AtomicLong removed) {
        // One deadline for the page's SCAN and its UNLINKs: a hung primary fails the attempt all the same.
        Uni<String> page = primary.send(Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(count))
                .flatMap(answer -> {
                    Response names = answer.get(1);
                    if (names.size() == 0) {
                        return Uni.createFrom().item(answer.get(0).toString());
                    }
                    List<String> found = new ArrayList<>(names.size());
                    names.forEach(key -> found.add(key.toString()));
                    return unlinkOn(primary, moving, found).invoke(removed::addAndGet).replaceWith(answer.get(0).toString());
                });
        return bounded(page, timeout.multipliedBy(2)).flatMap(next -> next.equals("0")
                ? Uni.createFrom().voidItem()
                : walkPage(primary, moving, pattern, count, timeout, next, removed));
    }

    /**
     * Unlinks names one primary's SCAN found, on that primary (they are in its slots): one UNLINK
     * per slot, all in one pipelined batch. The names in a slot being migrated may be on the
     * primary importing it already: each of those goes through the cluster connection, which
     * follows ASK. A slot that finished moving since the walk began fails the batch with MOVED;
     * then every slot goes through the cluster connection (a key the failed batch did remove
     * counts nothing the second time, so the count may come out low, never the keys left).
     */
    private Uni<Integer> unlinkOn(RedisConnection primary, Set<Integer> moving, List<String> found) {
        Map<Integer, List<String>> bySlot = bySlot(found);
        List<String> migrating = new ArrayList<>();
        List<Request> local = new ArrayList<>();
        bySlot.forEach((slot, slotKeys) -> {
            if (moving.contains(slot)) {
                migrating.addAll(slotKeys);
            } else {
                local.add(unlinkOf(slotKeys));
            }
        });
        Uni<Integer> here = local.isEmpty()
                ? Uni.createFrom().item(0)
                : primary.batch(local).map(answers -> answers.stream().mapToInt(Response::toInteger).sum())
                        .onFailure().recoverWithUni(() -> unlink(found.stream().filter(key -> !moving.contains(slotOf(key)))
                                .toList()));
        return here.flatMap(count -> migrating.isEmpty()
                ? Uni.createFrom().item(count)
                : unlink(migrating).map(more -> count + more));
    }

    private static <T> Uni<T> bounded(Uni<T> command, Duration timeout) {
        return command.ifNoItem().after(timeout).failWith(() -> new CacheInvalidator.RedisTimeoutException(timeout));
    }

    private static Map<Integer, List<String>> bySlot(Collection<String> keys) {
        Map<Integer, List<String>> bySlot = new LinkedHashMap<>();
        for (String key : keys) {
            bySlot.computeIfAbsent(slotOf(key), slot -> new ArrayList<>()).add(key);
        }
        return bySlot;
    }

    private Uni<Void> walkFrom(int attempt, BiFunction<Redis, Set<Integer>, Uni<Void>> walk) {
        return layout().flatMap(before -> {
            // One primary after another: mvrefresh's load on the cluster stays that of one careful
            // client, behind whose commands another client's wait one at a time.
            Uni<Void> walked = Uni.createFrom().voidItem();
            for (String endpoint : before.primaries()) {
                walked = walked.call(() -> walk.apply(primary(endpoint), before.moving().getOrDefault(endpoint, Set.of())));
            }
            return walked.flatMap(done -> layout()).flatMap(after -> {
                if (before.moving().isEmpty() && after.moving().isEmpty() && before.equals(after)) {
                    return Uni.createFrom().voidItem();
                }
                if (attempt >= MAX_WALKS) {
                    Log.warnf("cache: slots kept moving through %d walks; keys that moved during the last one may remain"
                            + " until their TTL", attempt);
                    return Uni.createFrom().voidItem();
                }
                return walkFrom(attempt + 1, walk);
            });
        });
    }

    /**
     * Unlinks {@code keys}, slot by slot, on one cluster connection; answers how many existed.
     * Safe to repeat: a key already gone counts nothing.
     */
    public Uni<Integer> unlink(Collection<String> keys) {
        return cluster.connect().flatMap(conn -> Uni.join()
                .all(bySlot(keys).values().stream().map(slotKeys -> unlinkSlot(conn, slotKeys)).toList())
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
            // A migrating or importing slot shows only in the owning node's own line of CLUSTER NODES:
            // "[slot->-target]" (migrating) or "[slot-<-source]" (importing).
            List<Uni<Set<Integer>>> moving = endpoints.stream().map(endpoint -> primary(endpoint)
                    .send(Request.cmd(Command.CLUSTER).arg("NODES"))
                    .map(nodes -> movingSlots(nodes.toString())))
                    .toList();
            return Uni.join().all(moving).andFailFast().map(answers -> {
                Map<String, Set<Integer>> movingByEndpoint = new LinkedHashMap<>();
                for (int i = 0; i < endpoints.size(); i++) {
                    if (!answers.get(i).isEmpty()) {
                        movingByEndpoint.put(endpoints.get(i), answers.get(i));
                    }
                }
                return new Layout(endpoints, owners, movingByEndpoint);
            });
        });
    }

    static Set<Integer> movingSlots(String clusterNodes) {
        Set<Integer> moving = new HashSet<>();
        clusterNodes.lines().filter(line -> line.contains("myself")).forEach(line -> {
            Matcher marker = MOVING_SLOT.matcher(line);
            while (marker.find()) {
                moving.add(Integer.parseInt(marker.group(1)));
            }
        });
        return moving;
    }

    /** @param moving per primary, the slots it is migrating away or importing right now */
    private record Layout(List<String> primaries, List<String> owners, Map<String, Set<Integer>> moving) {
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
