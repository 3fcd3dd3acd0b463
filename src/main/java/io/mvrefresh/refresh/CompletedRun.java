package io.mvrefresh.refresh;

import io.mvrefresh.state.RunRecord;
import io.mvrefresh.state.ViewState;
import java.util.Optional;

/**
 * A run that has ended: the job, how it ended, the row stored for it, and the view's
 * {@code view_state} row as the run left it (empty when the run did not change it, or when
 * PostgreSQL could not be reached to store it).
 */
public record CompletedRun(RefreshJob job, RefreshOutcome outcome, RunRecord record, Optional<ViewState> stored) {
}
