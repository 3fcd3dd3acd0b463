package io.mvrefresh.scheduling;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.vocabulary.ViewStatus;
import java.time.Duration;
import java.time.Instant;

/**
 * A consistent picture of one view at one instant, for the admin API.
 *
 * @param catalogView null when the view does not exist in PostgreSQL
 * @param nextDue when it is due next (the due time of its queued run while queued); null when it is
 *     never due (disabled, paused, missing) or refreshing
 * @param queuedRunId the run id of a queued refresh, or null
 * @param runningRunId the run id of the refresh in progress, or null
 * @param scheduleError why its due time could not be computed (it is then shown failing), or null
 * @param changedSince the first change to what it reads that no refresh covered yet, or null
 * @param expectedDuration what a refresh of it is expected to take (90th percentile of recent ones), or null
 * @param targetUnmeetable why its freshness target cannot be met, or null
 * @param why why it is in its state, for an operator
 */
public record ViewSnapshot(ViewSettings settings, CatalogView catalogView, ViewState state, ViewStatus status, Instant nextDue,
        Long queuedRunId, Long runningRunId, String scheduleError, Instant observedAt, Instant changedSince,
        Duration expectedDuration, String targetUnmeetable, Why why) {

    /** Whether changes to what it reads can be detected, so its lag is known. */
    public boolean watchable() {
        return catalogView != null && catalogView.changeDetectable();
    }

    /** How far it lags its base tables as far as mvrefresh can see: null when that cannot be known. */
    public Duration lag() {
        if (!watchable()) {
            return null;
        }
        return changedSince == null ? Duration.ZERO : Duration.between(changedSince, observedAt);
    }
}
