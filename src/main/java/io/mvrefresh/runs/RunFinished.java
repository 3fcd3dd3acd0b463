package io.mvrefresh.runs;

import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.refresh.CompletedRun;

/**
 * A run ended and its outcome is stored (a refresh's strictly after its commit). Fired once per
 * run as a CDI event; metrics, the last-runs read model and cache invalidation observe it.
 */
public record RunFinished(CompletedRun run) {

    public ViewSettings settings() {
        return run.job().settings();
    }
}
