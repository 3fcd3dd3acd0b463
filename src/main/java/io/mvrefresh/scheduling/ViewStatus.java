package io.mvrefresh.scheduling;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.state.RunRecord;
import io.mvrefresh.state.ViewState;
import java.time.Instant;

/**
 * A consistent picture of one view at one instant, for the admin API and metrics.
 *
 * @param catalogView null when the view does not exist in PostgreSQL
 * @param status {@code idle}, {@code queued}, {@code running}, {@code paused}, {@code missing} or {@code failing}
 * @param nextDue null when the view is never due (disabled, paused, missing)
 * @param queuedRunId the run id of a queued refresh, or null
 * @param runningRunId the run id of the refresh in progress, or null
 */
public record ViewStatus(ViewSettings settings, CatalogView catalogView, ViewState state, RunRecord lastRun,
        String status, Instant nextDue, Long queuedRunId, Long runningRunId, Instant observedAt) {
}
