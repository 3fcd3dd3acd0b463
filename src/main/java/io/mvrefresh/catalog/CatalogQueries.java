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

    /** A scan gives up rather than queue behind DDL on the catalogs. */
    static final String SCAN_TIMEOUTS = "SELECT set_config('lock_timeout', '2s', true), set_config('statement_timeout', '30s', true)";

    /** Materialized views in the discovery schemas ($1) or named explicitly ($2 schemas, $3 names). */
    static final String VIEWS = """
            SELECT n.nspname::text AS schema_name, c.relname::text AS view_name, c.oid::bigint AS oid,
                   c.relispopulated AS populated,
                   (SELECT r.xmin::text FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename = '_RETURN') AS rule_version,
                   obj_description(c.oid, 'pg_class') AS view_comment,
            """ + USABLE_UNIQUE_INDEX + """
             AS has_usable_unique_index
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'm'
              AND (n.nspname::text = ANY($1)
                   OR (n.nspname::text, c.relname::text) IN (SELECT * FROM unnest($2::text[], $3::text[])))
            """;

    /**
     * What each materialized view ($1, oids) reads and what could change its result without a
     * write. Walks pg_depend from the view's _RETURN rule through plain views (their rules) and
     * through SQL functions whose bodies PostgreSQL tracks (BEGIN ATOMIC), and returns one row
     * per finding:
     * <ul>
     *   <li>{@code relation}: a table, partitioned table, foreign table or materialized view read,
     *       and any foreign table among the partitions or inheritance children of a table read;
     *   <li>{@code function}: a volatile function, a time function (now() and friends), or a
     *       user function whose body PostgreSQL does not track. Built-in functions are pinned and
     *       leave no pg_depend row, so they are read from the query trees' funcid fields;
     *   <li>{@code time}: a CURRENT_DATE-like keyword, which is no function call at all: up to
     *       PostgreSQL 15 an {@code SQLVALUEFUNCTION} node whose op is one of the first nine
     *       (the date and time ones), from 16 a call of the pg_catalog function of that name;
     *   <li>{@code node}: a rule or function body walked ({@code detail} its catalog, {@code rel_oid}
     *       its oid, {@code name} its row version), so a later scan can tell whether any changed.
     * </ul>
     * Only the stored node trees are read, never a definition rebuilt by ruleutils
     * ({@code pg_get_viewdef} locks every relation the view reads).
     */
    static final String READS = """
            WITH RECURSIVE node(root, classid, objid) AS (
                SELECT r.ev_class, 'pg_rewrite'::regclass::oid, r.oid
                FROM pg_rewrite r
                WHERE r.ev_class = ANY($1::bigint[]::oid[]) AND r.rulename = '_RETURN'
              UNION
                SELECT n.root, next.classid, next.objid
                FROM node n
                JOIN pg_depend d ON d.classid = n.classid AND d.objid = n.objid AND d.deptype = 'n'
                CROSS JOIN LATERAL (
                    SELECT 'pg_rewrite'::regclass::oid, vr.oid
                    FROM pg_class v JOIN pg_rewrite vr ON vr.ev_class = v.oid AND vr.rulename = '_RETURN'
                    WHERE d.refclassid = 'pg_class'::regclass AND v.oid = d.refobjid AND v.relkind = 'v'
                  UNION ALL
                    SELECT 'pg_proc'::regclass::oid, p.oid
                    FROM pg_proc p
                    WHERE d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid AND p.prosqlbody IS NOT NULL
                ) AS next (classid, objid)
            ),
            texts AS (
                SELECT n.root, coalesce(r.ev_action::text, p.prosqlbody::text) AS tree
                FROM node n
                LEFT JOIN pg_rewrite r ON n.classid = 'pg_rewrite'::regclass AND r.oid = n.objid
                LEFT JOIN pg_proc p ON n.classid = 'pg_proc'::regclass AND p.oid = n.objid
            ),
            called AS (
                SELECT DISTINCT t.root, m[2]::oid AS fn
                FROM texts t, regexp_matches(t.tree, ':(funcid|opfuncid|aggfnoid|winfnoid) (\\d+)', 'g') AS m
            ),
            read_relations AS (
                SELECT DISTINCT c.root, d.refobjid AS relid
                FROM node c
                JOIN pg_depend d ON d.classid = c.classid AND d.objid = c.objid AND d.deptype = 'n'
                                AND d.refclassid = 'pg_class'::regclass
            ),
            inherited(root, relid) AS (
                SELECT root, relid FROM read_relations
              UNION
                SELECT i.root, h.inhrelid FROM inherited i JOIN pg_inherits h ON h.inhparent = i.relid
            )
            SELECT c.root::bigint AS root_oid, 'relation' AS kind, ns.nspname::text AS schema_name, rel.relname::text AS name,
                   rel.relkind::text AS detail, rel.oid::bigint AS rel_oid
            FROM node c
            JOIN pg_depend d ON d.classid = c.classid AND d.objid = c.objid AND d.deptype = 'n' AND d.refclassid = 'pg_class'::regclass
            JOIN pg_class rel ON rel.oid = d.refobjid AND rel.relkind IN ('m', 'r', 'p', 'f') AND rel.oid <> c.root
            JOIN pg_namespace ns ON ns.oid = rel.relnamespace
            UNION
            SELECT called.root::bigint,
                   CASE WHEN p.pronamespace = 'pg_catalog'::regnamespace AND p.proname IN (%1$s) THEN 'time' ELSE 'function' END,
                   NULL,
                   CASE WHEN p.pronamespace = 'pg_catalog'::regnamespace AND p.proname IN (%1$s) THEN upper(p.proname)
                        ELSE p.oid::regprocedure::text END,
                   CASE WHEN p.provolatile = 'v' THEN 'volatile'
                        WHEN p.pronamespace = 'pg_catalog'::regnamespace THEN 'time'
                        ELSE 'untracked' END,
                   NULL
            FROM called JOIN pg_proc p ON p.oid = called.fn
            WHERE p.provolatile = 'v'
               OR (p.pronamespace = 'pg_catalog'::regnamespace
                   AND (p.proname IN ('now', 'statement_timestamp', 'transaction_timestamp', 'clock_timestamp', 'timeofday', %1$s)
                        OR (p.proname = 'age' AND p.pronargs = 1)))
               OR (p.pronamespace <> 'pg_catalog'::regnamespace AND p.prosqlbody IS NULL)
            UNION
            -- A foreign table among the partitions or inheritance children of a table read: its rows
            -- are read, its writes never counted.
            SELECT i.root::bigint, 'relation', ns.nspname::text, rel.relname::text, rel.relkind::text, rel.oid::bigint
            FROM inherited i
            JOIN pg_class rel ON rel.oid = i.relid AND rel.relkind = 'f'
            JOIN pg_namespace ns ON ns.oid = rel.relnamespace
            UNION
            SELECT n.root::bigint, 'node', NULL, coalesce(r.xmin, p.xmin)::text,
                   CASE WHEN n.classid = 'pg_rewrite'::regclass THEN 'pg_rewrite' ELSE 'pg_proc' END, n.objid::bigint
            FROM node n
            LEFT JOIN pg_rewrite r ON n.classid = 'pg_rewrite'::regclass AND r.oid = n.objid
            LEFT JOIN pg_proc p ON n.classid = 'pg_proc'::regclass AND p.oid = n.objid
            UNION
            SELECT t.root::bigint, 'time', NULL,
                   (ARRAY['CURRENT_DATE', 'CURRENT_TIME', 'CURRENT_TIME', 'CURRENT_TIMESTAMP', 'CURRENT_TIMESTAMP',
                          'LOCALTIME', 'LOCALTIME', 'LOCALTIMESTAMP', 'LOCALTIMESTAMP'])[m[1]::int + 1],
                   'keyword', NULL
            FROM texts t, regexp_matches(t.tree, '\\{SQLVALUEFUNCTION :op ([0-8]) ', 'g') AS m
            """
            .formatted("'current_date', 'current_time', 'current_timestamp', 'localtime', 'localtimestamp'");

    /**
     * The current version of rule and function rows walked by earlier scans ($1 rewrite oids, $2
     * function oids), and the current schema, name and kind of relations read ($3, in the columns
     * READS uses for them): what a rescan compares to tell which views need their dependencies read
     * again. A row that is gone is simply absent.
     */
    static final String VERSIONS = """
            SELECT 'pg_rewrite' AS catalog, oid::bigint AS oid, xmin::text AS version,
                   NULL::text AS schema_name, NULL::text AS name, NULL::text AS detail
            FROM pg_rewrite WHERE oid = ANY($1::bigint[]::oid[])
            UNION ALL
            SELECT 'pg_proc', oid::bigint, xmin::text, NULL, NULL, NULL FROM pg_proc WHERE oid = ANY($2::bigint[]::oid[])
            UNION ALL
            SELECT 'pg_class', c.oid::bigint, NULL, n.nspname::text, c.relname::text, c.relkind::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY($3::bigint[]::oid[])
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
