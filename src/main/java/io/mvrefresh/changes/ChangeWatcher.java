package io.mvrefresh.changes;

import io.mvrefresh.catalog.RelationTree;
import io.mvrefresh.scheduling.Dispatcher;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Watches the write counters and filenodes of the tables views read, so a view with a freshness
 * target is refreshed when they change, not on a timer, and every view's lag is known.
 *
 * <p>One statement per round reads, for each watched relation and every partition or inheritance
 * child under it ({@link RelationTree}), {@code n_tup_ins + n_tup_upd + n_tup_del} and {@code pg_relation_filenode}
 * through the per-relation statistics functions, so its cost follows the number of relations
 * watched, not the size of the catalog. Any difference from the previous round, a counter going
 * down included (a statistics reset), is a change. Relations of views with a target are read every
 * round; those of every other view whose changes can be detected every {@link #ALL_EVERY}, for
 * their lag.
 *
 * <p>PostgreSQL publishes a writer's counts when its transaction ends, at most once a second per
 * backend, and for a backend that then idles up to ten seconds later: a change is seen up to
 * that long after its commit (docs/operations.md, "Freshness targets").
 */
@ApplicationScoped
public class ChangeWatcher {

    /** How often the relations of views without a target are read, for their lag alone. */
    static final Duration ALL_EVERY = Duration.ofSeconds(30);

    private static final String COUNTERS = """
            %s
            SELECT root::bigint AS root, relid::bigint AS leaf, coalesce(pg_relation_filenode(relid), 0)::bigint AS filenode,
                   (pg_stat_get_tuples_inserted(relid) + pg_stat_get_tuples_updated(relid) + pg_stat_get_tuples_deleted(relid))::bigint AS writes
            FROM tree
            """
            .formatted(RelationTree.CTE);

    private final Pool pool;
    private final Dispatcher dispatcher;
    private final Clock clock;
    /** Per (root, leaf): a leaf can belong to several watched roots (a partitioned table and one of its partitions). */
    private final Map<Leaf, Counter> seen = new HashMap<>();
    private Instant allReadAt;

    private record Leaf(long root, long leaf) {
    }

    /** A leaf's state in one round. */
    private record Counter(long filenode, long writes) {
    }

    public ChangeWatcher(Pool pool, Dispatcher dispatcher, Clock clock) {
        this.pool = pool;
        this.dispatcher = dispatcher;
        this.clock = clock;
    }

    /** One round: reads the counters and reports the relations that changed. */
    public Uni<Void> poll() {
        Instant now = clock.instant();
        boolean all;
        synchronized (seen) {
            all = allReadAt == null || !now.isBefore(allReadAt.plus(ALL_EVERY));
        }
        Set<Long> targeted = dispatcher.watchedRelations(false);
        Set<Long> relations = all ? dispatcher.watchedRelations(true) : targeted;
        if (relations.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return pool.preparedQuery(COUNTERS).execute(Tuple.of((Object) relations.toArray(Long[]::new))).invoke(rows -> {
            Set<Long> changed = new HashSet<>();
            // Rounds may overlap when one is started outside the periodic task: each compares with the
            // newest state, so an overlap at worst reports a change twice, never loses one.
            synchronized (seen) {
                if (all) {
                    allReadAt = now;
                }
                Set<Leaf> present = new HashSet<>();
                for (Row row : rows) {
                    Leaf leaf = new Leaf(row.getLong("root"), row.getLong("leaf"));
                    Counter counter = new Counter(row.getLong("filenode"), row.getLong("writes"));
                    present.add(leaf);
                    Counter before = seen.put(leaf, counter);
                    if (before == null ? targeted.contains(leaf.root()) : !before.equals(counter)) {
                        // A relation watched for the first time: writes made while nobody watched are
                        // found by a check of its views, which skips when there were none.
                        changed.add(leaf.root());
                    }
                }
                if (all) {
                    seen.keySet().retainAll(present);
                }
            }
            if (!changed.isEmpty()) {
                Log.debugf("changes: %d watched relation(s) written to", changed.size());
                // Stamped when the counters arrived, not when the round began: a refresh that started in
                // between did not see these writes and must not count as covering them.
                dispatcher.relationsChanged(changed, clock.instant());
            }
        }).replaceWithVoid();
    }
}
