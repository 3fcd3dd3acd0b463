package io.mvrefresh.refresh;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.Set;

/**
 * The state of everything a view reads, to tell whether any of it changed since the view's last
 * refresh: per relation its write counters ({@code n_tup_ins/upd/del}, which count rolled-back
 * writes too, so they err towards "changed") and its filenode (TRUNCATE and a plain refresh of an
 * upstream view move it without touching the counters). Partitioned tables count through their
 * leaf partitions, which is where PostgreSQL keeps the counters.
 *
 * <p>Any difference, a counter going down included (stats reset, crash recovery), means changed.
 */
final class BaseTableFingerprint {

    // Read inside the refresh transaction before anything else touches the statistics, so the
    // snapshot (stats_fetch_consistency = cache) is taken now, not earlier. The per-relation
    // statistics functions look up only the relations given: the cost follows what the view reads,
    // not the number of relations in the database (pg_stat_all_tables computes every one).
    private static final String FINGERPRINT = """
            WITH roots AS (
                SELECT c.oid, c.relkind FROM pg_class c WHERE c.oid = ANY($1::bigint[]::oid[])
            ),
            leaves AS (
                SELECT oid FROM roots WHERE relkind <> 'p'
                UNION ALL
                SELECT t.relid FROM roots, pg_partition_tree(roots.oid) AS t WHERE roots.relkind = 'p' AND t.isleaf
            )
            SELECT coalesce(string_agg(format('%s/%s/%s', oid, coalesce(pg_relation_filenode(oid), 0),
                       pg_stat_get_tuples_inserted(oid) + pg_stat_get_tuples_updated(oid) + pg_stat_get_tuples_deleted(oid)),
                       ',' ORDER BY oid), '') AS fingerprint
            FROM leaves
            """;

    private BaseTableFingerprint() {
    }

    static Uni<String> take(SqlClient transaction, Set<Long> relations) {
        return transaction.preparedQuery(FINGERPRINT).execute(Tuple.of((Object) relations.toArray(Long[]::new)))
                .map(rows -> rows.iterator().next().getString("fingerprint"));
    }
}
