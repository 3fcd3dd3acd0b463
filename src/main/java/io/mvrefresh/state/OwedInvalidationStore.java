package io.mvrefresh.state;

import io.mvrefresh.coordination.AdvisoryLocks;
import io.mvrefresh.vocabulary.ViewId;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The cache invalidations committed refreshes owe, kept in {@code mvrefresh.view_state} beside the
 * refresh that owes them: claimed by the instance that carries them out, cleared when done.
 */
@ApplicationScoped
public class OwedInvalidationStore {

    private static final String CLEAR_OWED_INVALIDATION = """
            UPDATE mvrefresh.view_state
               SET invalidation_owed_run = NULL, invalidation_owed_since = NULL, invalidation_owed_by = NULL
             WHERE view = $1 AND invalidation_owed_run = $2
            """;

    /*
     * Invalidations owed and not done: this instance's own (it restarted, or its queue was
     * full), any other's whose owner is gone (its presence lock can be taken: a pod replaced by one
     * with a new name, a killed process), and any other's older than $2 (its owner cannot reach
     * Redis). Claiming moves their "since", so another replica does not take them at the same
     * moment. The presence lock is only tried, transaction-level: released with the statement.
     */
    private static final String CLAIM_OWED_INVALIDATIONS = """
            UPDATE mvrefresh.view_state
               SET invalidation_owed_since = $3, invalidation_owed_by = $4
             WHERE invalidation_owed_run IS NOT NULL
               AND (invalidation_owed_by = $1::text OR invalidation_owed_since < $2::timestamptz
                    OR (invalidation_owed_by IS DISTINCT FROM $4 AND pg_try_advisory_xact_lock(%s)))
            RETURNING view, schema_name, view_name, invalidation_owed_run, last_success_at
            """.formatted(AdvisoryLocks.instanceKey("coalesce(invalidation_owed_by, '')"));

    // The run's key count and the view's owed mark in one statement: one round trip per invalidation.
    // The mark is the last committed refresh's run id (ids are allocated when runs are queued, not
    // in commit order): only that refresh's invalidation clears it, so one done for an earlier
    // commit never clears what a later commit owes.
    private static final String INVALIDATION_DONE = """
            WITH run AS (UPDATE mvrefresh.refresh_run SET keys_invalidated = $3 WHERE id = $2)
            UPDATE mvrefresh.view_state
               SET invalidation_owed_run = NULL, invalidation_owed_since = NULL, invalidation_owed_by = NULL
             WHERE view = $1 AND invalidation_owed_run = $2
            """;

    /** An invalidation a committed refresh owes and that is not done. */
    public record OwedInvalidation(ViewId view, long runId, Instant refreshedAt) {
    }

    /** The view's owed invalidation up to {@code runId} is done. */
    public Uni<Void> clearOwedInvalidation(ViewId view, long runId) {
        return pool.preparedQuery(CLEAR_OWED_INVALIDATION).execute(Tuple.of(view.toString(), runId)).replaceWithVoid();
    }

    /**
     * Claims, for {@code claimant}, the invalidations owed since before {@code orphanedBefore}, and
     * those {@code owner} owes whatever their age (null: none).
     */
    public Uni<List<OwedInvalidation>> claimOwedInvalidations(String owner, Instant orphanedBefore, Instant now,
            String claimant) {
        return pool.preparedQuery(CLAIM_OWED_INVALIDATIONS)
                .execute(Tuple.of(owner, Rows.timestamp(orphanedBefore), Rows.timestamp(now), claimant)).map(rows -> {
                    List<OwedInvalidation> owed = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        Rows.viewOf(row)
                                .ifPresent(view -> owed.add(new OwedInvalidation(view, row.getLong("invalidation_owed_run"),
                                        Rows.instant(row, "last_success_at"))));
                    }
                    return owed;
                });
    }

    /** Run {@code runId}'s invalidation removed {@code keys} cache keys: recorded, and the view owes it no more. */
    public Uni<Void> invalidationDone(ViewId view, long runId, long keys) {
        return pool.preparedQuery(INVALIDATION_DONE).execute(Tuple.of(view.toString(), runId, keys)).replaceWithVoid();
    }

    private final Pool pool;

    public OwedInvalidationStore(Pool pool) {
        this.pool = pool;
    }

}
