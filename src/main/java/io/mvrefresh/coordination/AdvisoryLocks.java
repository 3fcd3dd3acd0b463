package io.mvrefresh.coordination;

import io.mvrefresh.vocabulary.ViewId;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Duration;
import java.util.Collection;

/**
 * The locks that keep replicas sharing a database from refreshing one view twice at once, or a
 * view while a view it reads (or that reads it) is refreshing.
 *
 * <p>A refresh takes its own view's key exclusively and every upstream view's key shared. Two
 * readers of one source can then refresh together, but a source and any of its readers exclude
 * each other, whichever replica runs them: the source's exclusive lock and a reader's shared lock
 * on the same key conflict. Every lock is tried, never waited for, so no two refreshes can
 * deadlock on them.
 *
 * <p>Transaction-level ({@code pg_try_advisory_xact_lock}) so they are released with the
 * refresh's commit or rollback, including when the connection dies; a session-level lock would
 * outlive the run on a pooled connection. The 64-bit key is {@code hashtextextended} of the
 * view's name, computed by the server so every replica (and an operator in psql) derives the same
 * key: {@code SELECT hashtextextended('mvrefresh:' || 'public.mv_daily', 0)}.
 */
public final class AdvisoryLocks {

    private static final String KEY = "hashtextextended('mvrefresh:' || %s, 0)";

    /**
     * The refresh transaction's first statement: its timeouts ({@code SET LOCAL} through
     * set_config, so the values are bound), the view's own lock and its sources' shared locks, in
     * one round trip. $1 view, $2 statement_timeout ms, $3 lock_timeout ms, $4 upstream views.
     *
     * <p>{@code client_connection_check_interval} (PostgreSQL 14+; skipped where the server does
     * not know it) makes the server notice within seconds that the client is gone, so a replica
     * killed mid-refresh does not leave its REFRESH running, and holding the view's locks, until
     * the statement timeout.
     */
    // When the view's own key is refused, a shared attempt on it tells who holds it: a reader's
    // refresh (shared: granted) or another replica refreshing this very view (exclusive: refused).
    private static final String BEGIN_REFRESH = """
            SELECT set_config('statement_timeout', $2, true), set_config('lock_timeout', $3, true),
                   CASE WHEN current_setting('client_connection_check_interval', true) IS NOT NULL
                        THEN set_config('client_connection_check_interval', '2s', true) END,
                   own.locked,
                   CASE WHEN own.locked THEN false ELSE pg_try_advisory_xact_lock_shared(%1$s) END AS held_by_reader,
                   (SELECT coalesce(bool_and(pg_try_advisory_xact_lock_shared(%2$s)), true) FROM unnest($4::text[]) AS source)
                       AS sources_free
            FROM (SELECT pg_try_advisory_xact_lock(%1$s) AS locked) AS own
            """.formatted(KEY.formatted("$1"), KEY.formatted("source"));

    private AdvisoryLocks() {
    }

    /**
     * The key of an instance's presence lock, as SQL of {@code instanceName} (an SQL expression):
     * every instance holds its own for as long as it runs (session-level, on a connection of its
     * own), so a lock on it that can be taken means that instance is gone.
     */
    public static String instanceKey(String instanceName) {
        return "hashtextextended('mvrefresh-instance:' || " + instanceName + ", 0)";
    }

    /**
     * What the lock attempt found.
     *
     * @param viewLocked this transaction holds the view's lock: no other replica refreshes it
     * @param heldByReader the view's lock was refused because a replica refreshes a view that reads it
     * @param sourcesFree no replica refreshes a view it reads right now
     */
    public record Attempt(boolean viewLocked, boolean heldByReader, boolean sourcesFree) {

        /** Whether the refresh may go ahead. */
        public boolean granted() {
            return viewLocked && sourcesFree;
        }

        /** Another replica refreshes this very view: it is not to be refreshed twice. */
        public boolean lockedElsewhere() {
            return !viewLocked && !heldByReader;
        }
    }

    /**
     * Sets the transaction's statement and lock timeouts, then tries to take {@code view}'s lock
     * and shared locks on {@code upstream}. Locks taken by a refused attempt go with the
     * transaction's rollback.
     */
    public static Uni<Attempt> limitAndTryLock(SqlClient transaction, ViewId view, Collection<ViewId> upstream,
            Duration statementTimeout, Duration lockTimeout) {
        String[] sources = upstream.stream().map(ViewId::toString).sorted().toArray(String[]::new);
        return transaction.preparedQuery(BEGIN_REFRESH)
                .execute(Tuple.of(view.toString(), Long.toString(statementTimeout.toMillis()),
                        Long.toString(lockTimeout.toMillis()),
                        sources))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    return new Attempt(row.getBoolean("locked"), row.getBoolean("held_by_reader"),
                            row.getBoolean("sources_free"));
                });
    }
}
