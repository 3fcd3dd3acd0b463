package io.mvrefresh.state;

import io.mvrefresh.catalog.ViewId;
import java.time.Instant;

/**
 * One finished run, as stored in {@code mvrefresh.refresh_run}.
 *
 * @param mode the REFRESH that ran or was attempted; null when none was (skipped, view missing)
 * @param startedAt null when the run never reached PostgreSQL
 * @param error PostgreSQL's message (or mvrefresh's reason) for a run that did not succeed
 * @param skipReason for a skipped run: {@code unchanged}, {@code locked_elsewhere} or {@code paused}
 * @param keysInvalidated filled in once the run's cache invalidation completed
 */
public record RunRecord(long id, ViewId view, Trigger trigger, AppliedMode mode, String instance,
        Instant queuedAt, Instant startedAt, Instant finishedAt, Outcome outcome, String error,
        String skipReason, Long keysInvalidated) {
}
