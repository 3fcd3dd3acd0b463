package io.mvrefresh.refresh;

import io.mvrefresh.state.RunRecord;

/** A run that has ended: the job, how it ended and the row stored for it. */
public record CompletedRun(RefreshJob job, RefreshOutcome outcome, RunRecord record) {
}
