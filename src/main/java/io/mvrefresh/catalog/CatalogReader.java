package io.mvrefresh.catalog;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
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
        return pool.preparedQuery(CatalogQueries.VIEWS).execute(params)
                .flatMap(rows -> {
                    Map<Long, Row> byOid = new HashMap<>();
                    rows.forEach(row -> byOid.put(row.getLong("oid"), row));
                    if (byOid.isEmpty()) {
                        return Uni.createFrom().item(Map.<ViewId, CatalogView>of());
                    }
                    return pool.preparedQuery(CatalogQueries.READS)
                            .execute(Tuple.of(byOid.keySet().toArray(Long[]::new)))
                            .map(reads -> assemble(byOid, reads));
                });
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
                            row.getBoolean("has_usable_unique_index"), Set.of(), Set.of()));
                });
    }

    private static Map<ViewId, CatalogView> assemble(Map<Long, Row> byOid, RowSet<Row> reads) {
        Map<Long, Set<ViewId>> upstream = new HashMap<>();
        Map<Long, Set<ViewId>> base = new HashMap<>();
        for (Row read : reads) {
            long root = read.getLong("root_oid");
            ViewId relation = new ViewId(read.getString("schema_name"), read.getString("rel_name"));
            boolean isView = "m".equals(read.getString("relkind"));
            (isView ? upstream : base).computeIfAbsent(root, k -> new HashSet<>()).add(relation);
        }
        Map<ViewId, CatalogView> views = new HashMap<>();
        byOid.forEach((oid, row) -> {
            ViewId id = new ViewId(row.getString("schema_name"), row.getString("view_name"));
            views.put(id, new CatalogView(id, oid, row.getBoolean("populated"), row.getBoolean("has_usable_unique_index"),
                    upstream.getOrDefault(oid, Set.of()), base.getOrDefault(oid, Set.of())));
        });
        return views;
    }
}
