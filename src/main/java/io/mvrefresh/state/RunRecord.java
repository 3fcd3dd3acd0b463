package io.mvrefresh.state;

import io.mvrefresh.vocabulary.AppliedMode;
import io.mvrefresh.vocabulary.Outcome;
import io.mvrefresh.vocabulary.SkipReason;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Instant;

/**
 * One finished run, as stored in {@code mvrefresh.refresh_run}.
 *
 * @param trigger the reason that decided the run: the strongest of the requests merged into it
 * @param mode the REFRESH that ran or was attempted; null when none was (skipped, view missing)
 * @param startedAt null when the run never reached PostgreSQL
 * @param error PostgreSQL's message (or mvrefresh's reason) for a run that did not succeed
 * @param skipReason for a skipped run, why; otherwise null
 * @param keysInvalidated filled in once the run's cache invalidation completed
 * @param rowsChanged for a committed CONCURRENTLY refresh, the rows its merge deleted plus those it
 *     inserted (a changed row counts once for each); null where unknown (a plain refresh, a run
 *     that did not refresh)
 */
public record RunRecord(long id, ViewId view, Trigger trigger, AppliedMode mode, String instance,
        Instant queuedAt, Instant startedAt, Instant finishedAt, Outcome outcome, String error,
        SkipReason skipReason, Long keysInvalidated, Long rowsChanged) {

    /** The same run with its invalidated key count known. */
    public RunRecord withKeysInvalidated(long keys) {
        return new RunRecord(id, view, trigger, mode, instance, queuedAt, startedAt, finishedAt, outcome, error, skipReason,
                keys, rowsChanged);
    }

    /** Whether the run committed a refresh that is known to have changed no row. */
    public boolean changedNothing() {
        return rowsChanged != null && rowsChanged == 0;
    }
}
