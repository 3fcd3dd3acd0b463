package io.mvrefresh.scheduling;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.refresh.RefreshJob;
import io.mvrefresh.state.Trigger;
import io.mvrefresh.state.RunRecord;
import io.mvrefresh.state.ViewState;
import java.time.Duration;
import java.time.Instant;

/** What the dispatcher knows about one view. Mutable; only touched under the dispatcher's lock. */
final class ViewRuntime {

    private static final Duration FIRST_RETRY = Duration.ofSeconds(5);

    ViewSettings settings;
    /** Null while the view does not exist in PostgreSQL. */
    CatalogView catalogView;
    ViewState state;
    /** The newest run that was not a skip. */
    RunRecord lastRun;
    Ticket queued;
    Ticket running;
    /** A request that arrived while running: exactly one more run after the current one. */
    Ticket followUp;
    /** Whether "configured but missing" was logged, so it is logged once per disappearance. */
    boolean missingReported;
    /** Not before this instant: another replica held the view's lock when it was last tried. */
    Instant deferredUntil;
    /** Spreads retries of views that failed together; drawn anew at each failure. */
    double retryJitter = 1.0;

    ViewRuntime(ViewSettings settings, ViewState state) {
        this.settings = settings;
        this.state = state;
    }

    /** A run of this view as it is now: its settings, catalog entry and freshness travel with the job. */
    RefreshJob job(long runId, Trigger trigger, Instant queuedAt) {
        return new RefreshJob(runId, settings, catalogView, state.freshAsOf(), trigger, queuedAt);
    }

    boolean missing() {
        return catalogView == null;
    }

    /**
     * When the view should be refreshed next: at its backoff time while its refreshes are failing
     * (a failed forced refresh is retried too), otherwise when its schedule says; never before a
     * deferral. Null when it is never due (disabled, paused, missing).
     */
    Instant nextDue(Instant now) {
        if (!settings.enabled() || state.paused() || missing()) {
            return null;
        }
        Instant retryAt = retryAt(now);
        Instant due = retryAt != null ? retryAt : settings.schedule().nextDue(state.freshAsOf(), now);
        return ViewState.later(due, deferredUntil);
    }

    /**
     * Exponential backoff from 5 s, doubling per consecutive failure, capped at the schedule's
     * period so a failing view is tried at least as often as it would be refreshed.
     */
    Instant retryAt(Instant now) {
        if (state.consecutiveFailures() == 0 || state.lastAttemptAt() == null) {
            return null;
        }
        Duration cap = settings.schedule().period(now);
        int doublings = Math.min(state.consecutiveFailures() - 1, 30);
        Duration backoff = FIRST_RETRY.multipliedBy(1L << doublings);
        if (backoff.compareTo(cap) > 0) {
            backoff = cap;
        }
        return state.lastAttemptAt().plusMillis((long) (backoff.toMillis() * retryJitter));
    }

    String status() {
        if (missing()) {
            return "missing";
        }
        if (running != null) {
            return "running";
        }
        if (queued != null) {
            return "queued";
        }
        if (state.paused()) {
            return "paused";
        }
        if (state.consecutiveFailures() > 0) {
            return "failing";
        }
        return "idle";
    }
}
