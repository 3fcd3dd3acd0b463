package io.mvrefresh.cache;

import io.mvrefresh.config.InvalidationRules;
import io.mvrefresh.tracing.RunTrace;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Instant;

/**
 * The cache keys of one successful refresh, waiting to be invalidated.
 *
 * @param refreshedAt when the refresh committed (strictly before anything is invalidated)
 * @param walPosition a WAL position at or after the refresh's commit, which standbys are to
 *     replay before the keys go; {@link #POSITION_UNKNOWN} when not known (then the primary's
 *     position when the wait begins, later still, stands in for it)
 * @param attempts failed attempts so far, for the retry log
 * @param removedSoFar keys that failed attempts removed before failing, so the count reported
 *     when it is done covers every attempt
 * @param trace the refresh's trace, whose last steps (replica wait, invalidation) this is
 */
public record InvalidationRequest(ViewId view, long runId, Instant refreshedAt, long walPosition, InvalidationRules rules,
        int attempts, long removedSoFar, RunTrace trace) {

    public static final long POSITION_UNKNOWN = -1;

    public static InvalidationRequest of(ViewId view, long runId, Instant refreshedAt, long walPosition,
            InvalidationRules rules) {
        return new InvalidationRequest(view, runId, refreshedAt, walPosition, rules, 0, 0, RunTrace.NONE);
    }

    /** The same invalidation, as the last steps of {@code runTrace}. */
    public InvalidationRequest tracedBy(RunTrace runTrace) {
        return new InvalidationRequest(view, runId, refreshedAt, walPosition, rules, attempts, removedSoFar, runTrace);
    }

    InvalidationRequest failedOnce(long removedBeforeFailing) {
        return new InvalidationRequest(view, runId, refreshedAt, walPosition, rules, attempts + 1, removedBeforeFailing, trace);
    }
}
