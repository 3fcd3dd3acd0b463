package io.mvrefresh.scheduling;

import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.refresh.CompletedRun;
import io.mvrefresh.refresh.RefreshOutcome;

/**
 * Fired (as a CDI event) once a run has ended and its outcome is stored: metrics and cache
 * invalidation hang off it. A refresh's event comes strictly after its commit.
 */
public record RunFinished(CompletedRun run) {

    public ViewSettings settings() {
        return run.job().settings();
    }

    /** Whether the REFRESH committed. */
    public boolean refreshed() {
        return run.outcome() instanceof RefreshOutcome.Refreshed;
    }
}
