package io.mvrefresh.catalog;

/** The SQL mvrefresh reads pg_catalog with; kept together so the eligibility rule exists once. */
final class CatalogQueries {

    private CatalogQueries() {
    }

    /**
     * PostgreSQL's own test for an index REFRESH CONCURRENTLY can use ({@code is_usable_unique_index}
     * in matview.c), stricter than the manual: a failed CREATE UNIQUE INDEX CONCURRENTLY leaves an
     * invalid index, and deferrable, partial, expression and non-btree indexes are all rejected.
     * INCLUDE columns are allowed. Expects the view's pg_class row aliased {@code c}.
     */
    static final String USABLE_UNIQUE_INDEX = """
            EXISTS (
                SELECT 1
                FROM pg_index i
                JOIN pg_class ic ON ic.oid = i.indexrelid
                JOIN pg_am am ON am.oid = ic.relam
                WHERE i.indrelid = c.oid
                  AND i.indisunique AND i.indisvalid AND i.indimmediate
                  AND am.amname = 'btree'
                  AND i.indpred IS NULL AND i.indexprs IS NULL
                  AND i.indnatts > 0)""";

    /** Materialized views in the discovery schemas ($1) or named explicitly ($2 schemas, $3 names). */
    static final String VIEWS = """
            SELECT n.nspname::text AS schema_name, c.relname::text AS view_name, c.oid::bigint AS oid,
                   c.relispopulated AS populated,
            """ + USABLE_UNIQUE_INDEX + """
             AS has_usable_unique_index
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'm'
              AND (n.nspname::text = ANY($1)
                   OR (n.nspname::text, c.relname::text) IN (SELECT * FROM unnest($2::text[], $3::text[])))
            """;

    /**
     * What each materialized view ($1, oids) reads: its _RETURN rule's pg_depend rows, followed
     * through plain views so a view reading another through a plain view still depends on it.
     * UNION (not UNION ALL) stops the recursion on repeated pairs.
     */
    static final String READS = """
            WITH RECURSIVE reads(root, rel) AS (
                SELECT r.ev_class, d.refobjid
                FROM pg_rewrite r
                JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                                AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'n'
                WHERE r.ev_class::bigint = ANY($1) AND r.rulename = '_RETURN' AND d.refobjid <> r.ev_class
              UNION
                SELECT reads.root, d.refobjid
                FROM reads
                JOIN pg_class v ON v.oid = reads.rel AND v.relkind = 'v'
                JOIN pg_rewrite r ON r.ev_class = v.oid AND r.rulename = '_RETURN'
                JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                                AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'n'
                WHERE d.refobjid <> v.oid
            )
            SELECT reads.root::bigint AS root_oid, n.nspname::text AS schema_name, c.relname::text AS rel_name,
                   c.relkind::text AS relkind
            FROM reads
            JOIN pg_class c ON c.oid = reads.rel
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('m', 'r', 'p', 'f')
            """;

    /** One view's current refresh eligibility, read inside the refresh transaction ($1 schema, $2 name). */
    static final String ONE_VIEW = """
            SELECT c.oid::bigint AS oid, c.relispopulated AS populated,
            """ + USABLE_UNIQUE_INDEX + """
             AS has_usable_unique_index
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'm' AND n.nspname = $1 AND c.relname = $2
            """;
}
