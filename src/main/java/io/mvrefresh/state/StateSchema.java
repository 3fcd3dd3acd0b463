package io.mvrefresh.state;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;

/** Creates and migrates the {@code mvrefresh} schema. Every statement is idempotent. */
public final class StateSchema {

    /*
     * Replicas start together; CREATE ... IF NOT EXISTS is not safe against a concurrent CREATE of
     * the same object (unique violation on pg_type), so the migration holds a transaction-level
     * advisory lock. The constant is "mvrefresh" read as ASCII.
     */
    private static final String SERIALIZE = "SELECT pg_advisory_xact_lock(7887606906227271528)";

    private static final String[] STATEMENTS = {
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
        // last_verified_at: the view was known to match its base tables then (a refresh, or a
        // check that found nothing changed). fingerprint: the base tables' write counters and
        // filenodes when the view was last refreshed.
        "ALTER TABLE mvrefresh.view_state ADD COLUMN IF NOT EXISTS last_verified_at timestamptz",
        "ALTER TABLE mvrefresh.view_state ADD COLUMN IF NOT EXISTS fingerprint text",
    };

    private StateSchema() {
    }

    /** Creates whatever of the schema is missing, in one transaction. */
    public static Uni<Void> migrate(Pool pool) {
        return pool.withTransaction(conn -> {
            // "already exists, skipping" notices on every start would only be noise in the log.
            Uni<Void> chain = conn.query("SET LOCAL client_min_messages = warning").execute()
                    .flatMap(ignored -> conn.query(SERIALIZE).execute()).replaceWithVoid();
            for (String statement : STATEMENTS) {
                chain = chain.flatMap(ignored -> conn.query(statement).execute().replaceWithVoid());
            }
            return chain;
        }).invoke(() -> Log.debug("state: schema mvrefresh is up to date"));
    }
}
