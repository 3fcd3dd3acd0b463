package io.mvrefresh.catalog;

import io.mvrefresh.vocabulary.ViewId;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Reads materialized views, their refresh eligibility and what they read from pg_catalog.
 *
 * <p>Rescans are incremental. Listing the views and their eligibility is cheap and done every
 * time; walking what each view reads (rules, plain views, function bodies) is not, so it is done
 * for a view only when it is new, or when a row that walk went through has a new version
 * ({@code xmin}: a replaced plain view or function, a re-created view) or a relation it reads was
 * renamed. One statement compares those versions for every known view.
 */
@ApplicationScoped
public class CatalogReader {

    private final Pool pool;
    /**
     * What each view read at its last walk, by view oid. A scan works on its own copy and publishes
     * it when done, so scans that overlap each still see one consistent picture.
     */
    private volatile Map<Long, Walked> walked = Map.of();
    private volatile int walkedInLastRead;

    /** One view's walk: its rule's version, the rows it went through (with their versions), and the relations it found, by oid. */
    private record Walked(String ruleVersion, Map<Node, String> nodes, Map<Long, RelationName> relations, Reads reads) {
    }

    /** A rule or function row a walk went through: {@code catalog} is pg_rewrite or pg_proc. */
    private record Node(String catalog, long oid) {
    }

    /** What a relation read is called and what kind it is: a rename or a change of kind means walking again. */
    private record RelationName(String schema, String name, String kind) {

        /** From a row with {@code schema_name}, {@code name} and {@code detail} (the relkind), as READS and VERSIONS answer. */
        static RelationName of(Row row) {
            return new RelationName(row.getString("schema_name"), row.getString("name"), row.getString("detail"));
        }
    }

    /** What a view reads and why its changes may not be detectable. */
    private record Reads(Set<ViewId> upstream, Set<ViewId> base, Set<Long> oids, List<String> blockers) {
    }

    public CatalogReader(Pool pool) {
        this.pool = pool;
    }

    /**
     * Every materialized view in {@code schemas} plus the {@code named} ones wherever they live,
     * with their dependencies. Views named but absent are simply not in the result.
     */
    public Uni<Map<ViewId, CatalogView>> read(List<String> schemas, Collection<ViewId> named) {
        Tuple params = Tuple.of(
                schemas.toArray(String[]::new),
                named.stream().map(ViewId::schema).toArray(String[]::new),
                named.stream().map(ViewId::name).toArray(String[]::new));
        // Only pg_catalog's own tables are read, never a view's definition through ruleutils (which
        // locks every relation the view reads): nothing a REFRESH or DDL holds can make it wait.
        // The timeouts are a second guard, for locks on the catalogs themselves.
        return pool.withTransaction(conn -> conn.query(CatalogQueries.SCAN_TIMEOUTS).execute()
                .flatMap(ignored -> conn.preparedQuery(CatalogQueries.VIEWS).execute(params))
                .flatMap(rows -> {
                    Map<Long, Row> byOid = new HashMap<>();
                    rows.forEach(row -> byOid.put(row.getLong("oid"), row));
                    Map<Long, Walked> known = new HashMap<>(walked);
                    known.keySet().retainAll(byOid.keySet());
                    return changedSinceLastWalk(conn, byOid, known)
                            .invoke(stale -> walkedInLastRead = stale.size())
                            .flatMap(stale -> walk(conn, stale, byOid, known))
                            .map(ignored -> {
                                walked = Map.copyOf(known);
                                return assemble(byOid, known);
                            });
                }));
    }

    /**
     * How many views the last {@link #read} walked again (new, re-created, or reading something
     * whose definition changed); the others kept what an earlier walk found.
     */
    public int walkedInLastRead() {
        return walkedInLastRead;
    }

    /** The views to walk again: new ones, re-created ones, and those whose walk went through a changed row. */
    private static Uni<Set<Long>> changedSinceLastWalk(SqlConnection conn, Map<Long, Row> byOid, Map<Long, Walked> walked) {
        Set<Long> stale = new HashSet<>();
        byOid.forEach((oid, row) -> {
            Walked before = walked.get(oid);
            if (before == null || !Objects.equals(before.ruleVersion(), row.getString("rule_version"))) {
                stale.add(oid);
            }
        });
        Set<Long> rewrites = new HashSet<>();
        Set<Long> functions = new HashSet<>();
        Set<Long> relations = new HashSet<>();
        walked.forEach((oid, walk) -> {
            if (!stale.contains(oid)) {
                walk.nodes().keySet()
                        .forEach(node -> ("pg_rewrite".equals(node.catalog()) ? rewrites : functions).add(node.oid()));
                relations.addAll(walk.relations().keySet());
            }
        });
        if (rewrites.isEmpty() && functions.isEmpty() && relations.isEmpty()) {
            return Uni.createFrom().item(stale);
        }
        return conn.preparedQuery(CatalogQueries.VERSIONS)
                .execute(Tuple.of(rewrites.toArray(Long[]::new), functions.toArray(Long[]::new), relations.toArray(Long[]::new)))
                .map(rows -> {
                    Map<Node, String> nodes = new HashMap<>();
                    Map<Long, RelationName> names = new HashMap<>();
                    for (Row row : rows) {
                        if ("pg_class".equals(row.getString("catalog"))) {
                            names.put(row.getLong("oid"), RelationName.of(row));
                        } else {
                            nodes.put(new Node(row.getString("catalog"), row.getLong("oid")), row.getString("version"));
                        }
                    }
                    walked.forEach((oid, walk) -> {
                        boolean changed = walk.nodes().entrySet().stream()
                                .anyMatch(node -> !node.getValue().equals(nodes.get(node.getKey())))
                                || walk.relations().entrySet().stream()
                                        .anyMatch(rel -> !rel.getValue().equals(names.get(rel.getKey())));
                        if (changed) {
                            stale.add(oid);
                        }
                    });
                    return stale;
                });
    }

    private static Uni<Void> walk(SqlConnection conn, Set<Long> oids, Map<Long, Row> byOid, Map<Long, Walked> walked) {
        if (oids.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return conn.preparedQuery(CatalogQueries.READS).execute(Tuple.of((Object) oids.toArray(Long[]::new)))
                .invoke(reads -> remember(oids, reads, byOid, walked))
                .replaceWithVoid();
    }

    private static void remember(Set<Long> walkedNow, RowSet<Row> reads, Map<Long, Row> byOid, Map<Long, Walked> walked) {
        Map<Long, Set<ViewId>> upstream = new HashMap<>();
        Map<Long, Set<ViewId>> base = new HashMap<>();
        Map<Long, Map<Long, RelationName>> relations = new HashMap<>();
        Map<Long, List<String>> blockers = new HashMap<>();
        Map<Long, Map<Node, String>> nodes = new HashMap<>();
        for (Row read : reads) {
            long root = read.getLong("root_oid");
            String name = read.getString("name");
            String detail = read.getString("detail");
            switch (read.getString("kind")) {
                case "relation" -> {
                    ViewId relation = new ViewId(read.getString("schema_name"), name);
                    ("m".equals(detail) ? upstream : base).computeIfAbsent(root, k -> new HashSet<>()).add(relation);
                    relations.computeIfAbsent(root, k -> new HashMap<>()).put(read.getLong("rel_oid"), RelationName.of(read));
                    if ("f".equals(detail)) {
                        blockers.computeIfAbsent(root, k -> new ArrayList<>())
                                .add("reads foreign table " + relation + ", whose changes PostgreSQL does not count");
                    }
                }
                case "node" ->
                    nodes.computeIfAbsent(root, k -> new HashMap<>()).put(new Node(detail, read.getLong("rel_oid")), name);
                case "function" -> blockers.computeIfAbsent(root, k -> new ArrayList<>()).add(switch (detail) {
                    case "volatile" -> "calls " + name + ", a volatile function";
                    case "time" -> "calls " + name + ", whose result changes with time";
                    default -> "calls " + name + ", whose body PostgreSQL does not track (only BEGIN ATOMIC SQL functions are)";
                });
                default -> blockers.computeIfAbsent(root, k -> new ArrayList<>())
                        .add("uses " + name + ", whose value changes with time");
            }
        }
        for (long oid : walkedNow) {
            List<String> reasons = new ArrayList<>(blockers.getOrDefault(oid, List.of()));
            reasons.sort(null);
            Map<Long, RelationName> read = relations.getOrDefault(oid, Map.of());
            walked.put(oid, new Walked(byOid.get(oid).getString("rule_version"), nodes.getOrDefault(oid, Map.of()), read,
                    new Reads(upstream.getOrDefault(oid, Set.of()), base.getOrDefault(oid, Set.of()), Set.copyOf(read.keySet()),
                            reasons)));
        }
    }

    /**
     * The versions of the view's rule and of every rule and function row its walk went through,
     * in one short text: equal exactly when none of them was replaced.
     */
    private static String definition(Walked walk) {
        StringBuilder versions = new StringBuilder(String.valueOf(walk.ruleVersion()));
        walk.nodes().entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<Node, String> node) -> node.getKey().catalog())
                        .thenComparingLong(node -> node.getKey().oid()))
                .forEach(node -> versions.append(',').append(node.getKey().catalog()).append(':').append(node.getKey().oid())
                        .append('@').append(node.getValue()));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(versions.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static Map<ViewId, CatalogView> assemble(Map<Long, Row> byOid, Map<Long, Walked> walked) {
        Map<ViewId, CatalogView> views = new HashMap<>();
        byOid.forEach((oid, row) -> {
            ViewId id = new ViewId(row.getString("schema_name"), row.getString("view_name"));
            Reads reads = walked.get(oid).reads();
            Walked walk = walked.get(oid);
            views.put(id, new CatalogView(id, oid, row.getBoolean("populated"), row.getBoolean("has_usable_unique_index"),
                    reads.upstream(), reads.base(), reads.oids(), reads.blockers(), definition(walk),
                    row.getString("view_comment")));
        });
        return views;
    }

    /**
     * The view's eligibility as of now, on {@code client} (inside the refresh transaction, so the
     * decision and the REFRESH see the same catalog). Empty when the view no longer exists.
     */
    public Uni<Optional<CatalogView>> current(SqlClient client, ViewId view) {
        return client.preparedQuery(CatalogQueries.ONE_VIEW).execute(Tuple.of(view.schema(), view.name()))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return Optional.empty();
                    }
                    Row row = rows.iterator().next();
                    return Optional.of(new CatalogView(view, row.getLong("oid"), row.getBoolean("populated"),
                            row.getBoolean("has_usable_unique_index"), Set.of(), Set.of(), Set.of(), List.of()));
                });
    }
}
