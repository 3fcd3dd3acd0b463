package io.mvrefresh.state;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import java.util.List;

/**
 * Creates and migrates the {@code mvrefresh} schema, whose version is recorded in
 * {@code mvrefresh.schema_version}.
 *
 * <p>A start with nothing to migrate reads that one row and nothing else: DDL, even
 * {@code CREATE INDEX IF NOT EXISTS} or {@code ADD COLUMN IF NOT EXISTS}, takes its lock before it
 * looks whether there is anything to do, and would queue behind every refresh on every replica
 * (and everything after it behind it). A start that does have to migrate takes a transaction-level
 * advisory lock, so replicas starting together migrate once, and runs every statement with a
 * short {@code lock_timeout}: it gives up rather than stall the database, and the caller retries.
 */
public final class StateSchema {

    /** The schema version this build writes and reads. */
    public static final int LATEST = 5;

    /** "mvrefresh" read as ASCII: the advisory lock key serializing migrations across replicas. */
    private static final long MIGRATION_LOCK = 7887606906227271528L;

    // Two statements: a query naming a table that does not exist fails when it is planned.
    private static final String VERSION_TABLE_EXISTS = "SELECT to_regclass('mvrefresh.schema_version') IS NOT NULL AS present";
    private static final String READ_VERSION = "SELECT coalesce(max(version), 0) AS version FROM mvrefresh.schema_version";

    // Each step runs once per database, in order, inside the migration transaction. Step 1 is the
    // schema as it was before versions were recorded, so it must also find itself half present.
    private static final List<List<String>> STEPS = List.of(
            List.of(
                    "CREATE SCHEMA IF NOT EXISTS mvrefresh",
                    "CREATE SEQUENCE IF NOT EXISTS mvrefresh.refresh_run_id_seq",
                    """
                            CREATE TABLE IF NOT EXISTS mvrefresh.refresh_run (
                                id               bigint PRIMARY KEY,
                                view             text        NOT NULL,
                                trigger          text        NOT NULL CHECK (trigger IN ('schedule', 'admin', 'dependency', 'startup')),
                                mode             text                 CHECK (mode IN ('concurrent', 'blocking')),
                                instance         text        NOT NULL,
                                queued_at        timestamptz NOT NULL,
                                started_at       timestamptz,
                                finished_at      timestamptz NOT NULL,
                                outcome          text        NOT NULL CHECK (outcome IN ('success', 'failed', 'timeout', 'cancelled', 'skipped')),
                                error            text,
                                keys_invalidated bigint,
                                skip_reason      text
                            )""",
                    "CREATE INDEX IF NOT EXISTS refresh_run_view_id_idx ON mvrefresh.refresh_run (view, id DESC)",
                    "CREATE INDEX IF NOT EXISTS refresh_run_finished_at_idx ON mvrefresh.refresh_run (finished_at)",
                    """
                            CREATE TABLE IF NOT EXISTS mvrefresh.view_state (
                                view                 text PRIMARY KEY,
                                last_success_at      timestamptz,
                                last_attempt_at      timestamptz,
                                consecutive_failures integer NOT NULL DEFAULT 0,
                                paused               boolean NOT NULL DEFAULT false
                            )""",
                    "ALTER TABLE mvrefresh.view_state ADD COLUMN IF NOT EXISTS last_verified_at timestamptz",
                    "ALTER TABLE mvrefresh.view_state ADD COLUMN IF NOT EXISTS fingerprint text",
                    """
                            CREATE TABLE mvrefresh.schema_version (
                                singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                                version     integer NOT NULL,
                                migrated_at timestamptz NOT NULL DEFAULT now()
                            )"""),
            List.of(
                    // Schema and name apart: a schema or view name may itself contain a dot.
                    "ALTER TABLE mvrefresh.view_state ADD COLUMN schema_name text, ADD COLUMN view_name text,"
                            + " ADD COLUMN revision bigint NOT NULL DEFAULT 0",
                    "ALTER TABLE mvrefresh.refresh_run ADD COLUMN schema_name text, ADD COLUMN view_name text",
                    // Rows written before this version used schema.name split at the first dot.
                    """
                            UPDATE mvrefresh.view_state
                               SET schema_name = split_part(view, '.', 1), view_name = substr(view, strpos(view, '.') + 1)
                             WHERE schema_name IS NULL""",
                    """
                            UPDATE mvrefresh.refresh_run
                               SET schema_name = split_part(view, '.', 1), view_name = substr(view, strpos(view, '.') + 1)
                             WHERE schema_name IS NULL""",
                    "CREATE SEQUENCE mvrefresh.view_state_revision_seq",
                    // Skips are counted here, not written to refresh_run: history shows work done.
                    "ALTER TABLE mvrefresh.view_state ADD COLUMN skips_unchanged bigint NOT NULL DEFAULT 0,"
                            + " ADD COLUMN skips_locked_elsewhere bigint NOT NULL DEFAULT 0,"
                            + " ADD COLUMN skips_paused bigint NOT NULL DEFAULT 0,"
                            + " ADD COLUMN last_skip_at timestamptz, ADD COLUMN last_skip_reason text",
                    // The cache invalidation a committed refresh owes, written in the refresh's own
                    // transaction and cleared once done: a restart or kill -9 loses none.
                    "ALTER TABLE mvrefresh.view_state ADD COLUMN invalidation_owed_run bigint,"
                            + " ADD COLUMN invalidation_owed_since timestamptz, ADD COLUMN invalidation_owed_by text",
                    // When the last successful refresh started: min-interval counts from it, and a
                    // change seen before it is in the view.
                    "ALTER TABLE mvrefresh.view_state ADD COLUMN last_success_started_at timestamptz"),
            List.of(
                    // The transaction that last wrote the row: the dispatcher reads only rows written
                    // since the oldest transaction still running at its previous read. A constant
                    // default first, so adding the column rewrites nothing.
                    "ALTER TABLE mvrefresh.view_state ADD COLUMN written_xid xid8 NOT NULL DEFAULT '0'",
                    "ALTER TABLE mvrefresh.view_state ALTER COLUMN written_xid SET DEFAULT pg_current_xact_id()"),
            List.of(
                    // When a source last committed a refresh its readers owe: written with that
                    // refresh, so a cascade survives a shutdown, a crash or a replaced pod.
                    "ALTER TABLE mvrefresh.view_state ADD COLUMN cascade_owed_at timestamptz"),
            List.of(
                    // What a CONCURRENTLY refresh's merge changed; null where unknown. A nullable column
                    // without a default: adding it rewrites nothing.
                    "ALTER TABLE mvrefresh.refresh_run ADD COLUMN rows_changed bigint"));

    private static final String CHECK_TIMEOUTS = "SELECT set_config('lock_timeout', '2s', true), set_config('statement_timeout', '5s', true)";

    private static final String MIGRATION_TIMEOUTS = """
            SELECT set_config('lock_timeout', '1s', true), set_config('statement_timeout', '60s', true),
                   set_config('client_min_messages', 'warning', true)
            """;

    private StateSchema() {
    }

    /**
     * Brings the schema to {@link #LATEST}. Fails (for the caller to retry) when a lock it needs
     * is not granted within a second; a schema newer than this build is left alone.
     */
    public static Uni<Void> migrate(Pool pool) {
        return pool.withTransaction(conn -> conn.query(CHECK_TIMEOUTS).execute().flatMap(ignored -> readVersion(conn)))
                .flatMap(version -> {
                    if (version >= LATEST) {
                        if (version > LATEST) {
                            Log.infof("state: schema mvrefresh is at version %d, newer than this build's %d; leaving it as it is",
                                    version, LATEST);
                        }
                        return Uni.createFrom().voidItem();
                    }
                    return pool.withTransaction(StateSchema::migrateLocked);
                });
    }

    private static Uni<Integer> readVersion(SqlConnection conn) {
        return conn.query(VERSION_TABLE_EXISTS).execute().flatMap(rows -> rows.iterator().next().getBoolean("present")
                ? conn.query(READ_VERSION).execute().map(version -> version.iterator().next().getInteger("version"))
                : Uni.createFrom().item(0));
    }

    private static Uni<Void> migrateLocked(SqlConnection conn) {
        return conn.query(MIGRATION_TIMEOUTS).execute()
                .flatMap(ignored -> conn.query("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")").execute())
                // Another replica may have migrated while this one waited for the lock.
                .flatMap(ignored -> readVersion(conn))
                .flatMap(from -> {
                    if (from >= LATEST) {
                        return Uni.createFrom().voidItem();
                    }
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    for (int step = from; step < LATEST; step++) {
                        for (String statement : STEPS.get(step)) {
                            chain = chain.flatMap(ignored -> conn.query(statement).execute().replaceWithVoid());
                        }
                    }
                    return chain
                            .flatMap(ignored -> conn.query("""
                                    INSERT INTO mvrefresh.schema_version (version) VALUES (%d)
                                    ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version, migrated_at = now()
                                    """.formatted(LATEST)).execute())
                            .invoke(() -> Log.infof("state: schema mvrefresh migrated from version %d to %d", from, LATEST))
                            .replaceWithVoid();
                });
    }
}
