package io.mvrefresh.refresh;

import io.mvrefresh.catalog.RelationTree;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.Set;

/**
 * The state of everything a view reads, to tell whether any of it changed since the view's last
 * refresh: per relation its write counters ({@code n_tup_ins/upd/del}, which count rolled-back
 * writes too, so they err towards "changed") and its filenode (TRUNCATE and a plain refresh of an
 * upstream view move it without touching the counters). A table's partitions and inheritance
 * children count too ({@link RelationTree}), which is where PostgreSQL keeps the counters of the rows
 * they hold.
 *
 * <p>Any difference, a counter going down included (stats reset, crash recovery), means changed.
 */
final class BaseTableFingerprint {

    // Read inside the refresh transaction before anything else touches the statistics, so the
    // snapshot (stats_fetch_consistency = cache) is taken now, not earlier. The per-relation
    // statistics functions look up only the relations given: the cost follows what the view reads,
    // not the number of relations in the database (pg_stat_all_tables computes every one). The
    // first part changes whenever the counters start again (a statistics reset, a restart of the
    // server, a failover to another one), so counters that climbed back to the stored values after
    // a reset never pass for unchanged.
    private static final String FINGERPRINT = """
            %s
            SELECT format('%%s@%%s;', pg_stat_get_db_stat_reset_time(d.oid), pg_postmaster_start_time())
                   || coalesce((SELECT string_agg(format('%%s/%%s/%%s', relid, coalesce(pg_relation_filenode(relid), 0),
                          pg_stat_get_tuples_inserted(relid) + pg_stat_get_tuples_updated(relid)
                          + pg_stat_get_tuples_deleted(relid)), ',' ORDER BY relid)
                        FROM (SELECT DISTINCT relid FROM tree) AS reached), '') AS fingerprint
            FROM pg_database d WHERE d.datname = current_database()
            """.formatted(RelationTree.CTE);

    private BaseTableFingerprint() {
    }

    static Uni<String> take(SqlClient transaction, Set<Long> relations) {
        return transaction.preparedQuery(FINGERPRINT).execute(Tuple.of((Object) relations.toArray(Long[]::new)))
                .map(rows -> rows.iterator().next().getString("fingerprint"));
    }
}
