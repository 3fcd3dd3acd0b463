package io.mvrefresh.catalog;

/**
 * The relations whose rows a read of a table reaches: the table and, through {@code pg_inherits},
 * every descendant, whether a declarative partition or an {@code INHERITS} child (trigger-based
 * partitioning, pg_partman in trigger mode, TimescaleDB chunks). Write counters live on these.
 *
 * <p>It reads {@code pg_class} and {@code pg_inherits} only, which takes no relation lock:
 * {@code pg_partition_tree()} locks every partition, so a statement using it waits behind any DDL
 * or {@code VACUUM FULL} on one of them.
 */
public final class RelationTree {

    /**
     * A {@code WITH RECURSIVE} clause defining {@code tree(root, relid)}: one row per relation
     * reached from each root oid in the statement's {@code $1} ({@code bigint[]}), the root
     * included.
     */
    public static final String CTE = """
            WITH RECURSIVE tree(root, relid) AS (
                SELECT c.oid, c.oid FROM pg_class c WHERE c.oid = ANY($1::bigint[]::oid[])
                UNION
                SELECT tree.root, i.inhrelid FROM tree JOIN pg_inherits i ON i.inhparent = tree.relid
            )""";

    private RelationTree() {
    }
}
