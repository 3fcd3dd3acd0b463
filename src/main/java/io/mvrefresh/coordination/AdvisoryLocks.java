package io.mvrefresh.coordination;

import io.mvrefresh.catalog.ViewId;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The per-view lock that keeps replicas sharing a database from refreshing one view at once.
 *
 * <p>Transaction-level ({@code pg_try_advisory_xact_lock}) so it is released with the refresh's
 * commit or rollback, including when the connection dies; a session-level lock would outlive the
 * run on a pooled connection. The 64-bit key is {@code hashtextextended} of the view's name, computed
 * by the server so every replica (and an operator in psql) derives the same key.
 */
public final class AdvisoryLocks {

    private static final String TRY_LOCK_VIEW =
            "SELECT pg_try_advisory_xact_lock(hashtextextended('mvrefresh:' || $1, 0)) AS locked";

    private AdvisoryLocks() {
    }

    /** Tries to take {@code view}'s lock in the current transaction; false when another session holds it. */
    public static Uni<Boolean> tryLockForTransaction(SqlClient transaction, ViewId view) {
        return transaction.preparedQuery(TRY_LOCK_VIEW).execute(Tuple.of(view.toString()))
                .map(rows -> rows.iterator().next().getBoolean("locked"));
    }
}
