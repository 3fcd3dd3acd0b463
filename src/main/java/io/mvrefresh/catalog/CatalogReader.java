package io.mvrefresh.catalog;

import io.mvrefresh.vocabulary.ViewId;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads materialized views, their refresh eligibility and what they read from pg_catalog. */
@ApplicationScoped
public class CatalogReader {

    private final Pool pool;

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
                    if (byOid.isEmpty()) {
                        return Uni.createFrom().item(Map.<ViewId, CatalogView>of());
                    }
                    return conn.preparedQuery(CatalogQueries.READS)
                            .execute(Tuple.of(byOid.keySet().toArray(Long[]::new)))
                            .map(reads -> assemble(byOid, reads));
                }));
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

    private static Map<ViewId, CatalogView> assemble(Map<Long, Row> byOid, RowSet<Row> reads) {
        Map<Long, Set<ViewId>> upstream = new HashMap<>();
        Map<Long, Set<ViewId>> base = new HashMap<>();
        Map<Long, Set<Long>> readOids = new HashMap<>();
        Map<Long, List<String>> blockers = new HashMap<>();
        for (Row read : reads) {
            long root = read.getLong("root_oid");
            String name = read.getString("name");
            String detail = read.getString("detail");
            switch (read.getString("kind")) {
                case "relation" -> {
                    ViewId relation = new ViewId(read.getString("schema_name"), name);
                    ("m".equals(detail) ? upstream : base).computeIfAbsent(root, k -> new HashSet<>()).add(relation);
                    readOids.computeIfAbsent(root, k -> new HashSet<>()).add(read.getLong("rel_oid"));
                    if ("f".equals(detail)) {
                        blockers.computeIfAbsent(root, k -> new ArrayList<>())
                                .add("reads foreign table " + relation + ", whose changes PostgreSQL does not count");
                    }
                }
                case "function" -> blockers.computeIfAbsent(root, k -> new ArrayList<>()).add(switch (detail) {
                    case "volatile" -> "calls " + name + ", a volatile function";
                    case "time" -> "calls " + name + ", whose result changes with time";
                    default -> "calls " + name + ", whose body PostgreSQL does not track (only BEGIN ATOMIC SQL functions are)";
                });
                default -> blockers.computeIfAbsent(root, k -> new ArrayList<>())
                        .add("uses " + name + ", whose value changes with time");
            }
        }
        Map<ViewId, CatalogView> views = new HashMap<>();
        byOid.forEach((oid, row) -> {
            ViewId id = new ViewId(row.getString("schema_name"), row.getString("view_name"));
            List<String> reasons = new ArrayList<>(blockers.getOrDefault(oid, List.of()));
            reasons.sort(null);
            views.put(id, new CatalogView(id, oid, row.getBoolean("populated"), row.getBoolean("has_usable_unique_index"),
                    upstream.getOrDefault(oid, Set.of()), base.getOrDefault(oid, Set.of()),
                    readOids.getOrDefault(oid, Set.of()), reasons));
        });
        return views;
    }
}
