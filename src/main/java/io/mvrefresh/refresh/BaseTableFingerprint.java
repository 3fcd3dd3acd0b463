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
    // snapshot (stats_fetch_consistency = cache) is taken now, not earlier.
    private static final String FINGERPRINT = """
            SELECT coalesce(string_agg(
                       format('%s/%s/%s/%s/%s', c.oid, pg_relation_filenode(c.oid),
                              coalesce(s.n_tup_ins, 0), coalesce(s.n_tup_upd, 0), coalesce(s.n_tup_del, 0)),
                       ',' ORDER BY c.oid), '') AS fingerprint
            FROM (
                SELECT r.oid FROM unnest($1::bigint[]) AS r (oid)
                UNION
                SELECT t.relid::bigint FROM unnest($1::bigint[]) AS r (oid), pg_partition_tree(r.oid::oid) AS t WHERE t.isleaf
            ) AS rel
            JOIN pg_class c ON c.oid = rel.oid::oid
            LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
            """;

    private BaseTableFingerprint() {
    }

    static Uni<String> take(SqlClient transaction, Set<Long> relations) {
        return transaction.preparedQuery(FINGERPRINT).execute(Tuple.of((Object) relations.toArray(Long[]::new)))
                .map(rows -> rows.iterator().next().getString("fingerprint"));
    }
}
