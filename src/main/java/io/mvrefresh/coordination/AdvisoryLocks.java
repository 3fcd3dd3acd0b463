package io.mvrefresh.coordination;

import io.mvrefresh.catalog.ViewId;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Duration;

/**
 * The per-view lock that keeps replicas sharing a database from refreshing one view at once.
 *
 * <p>Transaction-level ({@code pg_try_advisory_xact_lock}) so it is released with the refresh's
 * commit or rollback, including when the connection dies; a session-level lock would outlive the
 * run on a pooled connection. The 64-bit key is {@code hashtextextended} of the view's name, computed
 * by the server so every replica (and an operator in psql) derives the same key.
 */
public final class AdvisoryLocks {

    private static final String KEY = "hashtextextended('mvrefresh:' || $1, 0)";

    /**
     * The refresh transaction's first statement: its timeouts ({@code SET LOCAL} through
     * set_config, so the values are bound) and the view's lock, in one round trip. $1 view,
     * $2 statement_timeout ms, $3 lock_timeout ms.
     */
    private static final String BEGIN_REFRESH = """
            SELECT set_config('statement_timeout', $2, true), set_config('lock_timeout', $3, true),
                   pg_try_advisory_xact_lock(""" + KEY + """
            ) AS locked""";

    private AdvisoryLocks() {
    }

    /**
     * Sets the transaction's statement and lock timeouts, then tries to take {@code view}'s lock;
     * false when another session holds it. The timeouts are set first, in the same statement.
     */
    public static Uni<Boolean> limitAndTryLock(SqlClient transaction, ViewId view, Duration statementTimeout,
            Duration lockTimeout) {
        return transaction.preparedQuery(BEGIN_REFRESH)
                .execute(Tuple.of(view.toString(), Long.toString(statementTimeout.toMillis()), Long.toString(lockTimeout.toMillis())))
                .map(rows -> rows.iterator().next().getBoolean("locked"));
    }
}
