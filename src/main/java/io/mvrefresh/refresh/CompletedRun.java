package io.mvrefresh.refresh;

import io.mvrefresh.state.RunRecord;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.tracing.RunTrace;
import java.util.Optional;

/**
 * A run that has ended: the job, how it ended, the row stored for it, and the view's
 * {@code view_state} row as the run left it (empty when the run did not change it, or when
 * PostgreSQL could not be reached to store it).
 *
 * @param trace the run's trace: still open when the run owes an invalidation (its last step), ended otherwise
 */
public record CompletedRun(RefreshJob job, RefreshOutcome outcome, RunRecord record, Optional<ViewState> stored,
        RunTrace trace) {

    /** A run nobody traces. */
    public CompletedRun(RefreshJob job, RefreshOutcome outcome, RunRecord record, Optional<ViewState> stored) {
        this(job, outcome, record, stored, RunTrace.NONE);
    }

    /**
     * Whether its cache keys are to be invalidated: a committed refresh that changed rows (or
     * cannot tell) of a view with invalidation rules. One that changed no row owes its cache nothing.
     */
    public boolean owesInvalidation() {
        return outcome instanceof RefreshOutcome.Refreshed && !record.changedNothing()
                && !job.settings().invalidation().isEmpty();
    }
}
