package io.mvrefresh.scheduling;

import io.mvrefresh.config.DurationText;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Instant;

/** Why a view is in its state, from what the scheduler knows about it: a pure function, as {@link DueRule}. */
final class WhyRule {

    private WhyRule() {
    }

    /**
     * @param nextDue when it is due next (of its queued run while queued); null when never
     * @param waitingFor the related view its queued run waits for; null when none
     */
    static Why explain(ViewEntry view, Instant nextDue, ViewId waitingFor, Instant now) {
        ViewId id = view.id();
        ViewState stored = view.stored();
        if (view.missing()) {
            return new Why("missing",
                    "view " + id + " is configured but does not exist in PostgreSQL; it is picked up once created",
                    null);
        }
        if (!view.settings().enabled()) {
            return new Why("disabled", "enabled=false: never refreshed, not by schedule, cascade or bulk request", null);
        }
        if (view.running() != null) {
            return new Why("running", view.running() + " is in progress", null);
        }
        if (view.queued() != null) {
            return waitingFor != null
                    ? new Why("waiting-for-source", "waits for " + waitingFor + " to finish refreshing, then runs", null)
                    : new Why("queued", view.queued() + " waits for a free slot (mvrefresh.concurrency)", null);
        }
        if (stored.paused()) {
            return new Why("paused", "paused by an operator: POST /admin/views/" + id + "/resume resumes it", null);
        }
        if (view.scheduleError() != null) {
            return new Why("failing", view.scheduleError(), null);
        }
        if (view.settings().commentProblem().isPresent()) {
            return new Why("failing", view.settings().commentProblem().get()
                    + "; it runs on its last good settings until the comment is fixed", null);
        }
        if (nextDue == null) {
            return new Why("scheduled", "its schedule does not fire again", null);
        }
        if (!nextDue.isAfter(now)) {
            return new Why("due", "due since " + nextDue + ", queued at the next tick", nextDue);
        }
        return switch (view.dueCause()) {
            case RETRY ->
                new Why("retrying", stored.consecutiveFailures() + " refresh(es) in a row failed; retried with backoff at "
                        + nextDue, nextDue);
            case MIN_INTERVAL -> new Why("min-interval", "min-interval " + DurationText.of(view.settings().minInterval())
                    + " after its last start: not before " + nextDue, nextDue);
            case LOCKED_ELSEWHERE -> view.waitingForRelatedElsewhere()
                    ? new Why("waiting-for-source", "a view it reads or that reads it is being refreshed by another replica;"
                            + " tried again at " + nextDue + ", then it runs", nextDue)
                    : new Why("locked-elsewhere",
                            "another replica holds its lock (refreshing it); looked at again at " + nextDue, nextDue);
            case CHECK -> new Why("unchanged", "unchanged since " + view.lastCheckedAt()
                    + "; checked once more after the statistics delay, at " + nextDue, nextDue);
            case SCHEDULE, CHANGE, REQUEST, UNPOPULATED -> unchangedSinceLastCheck(view)
                    ? new Why("unchanged", "unchanged since " + view.lastCheckedAt() + "; checked again at " + nextDue, nextDue)
                    : new Why("scheduled", "refreshed next at " + nextDue + " (" + view.settings().schedule().describe() + ")",
                            nextDue);
        };
    }

    /** Whether its last run was a check that found nothing changed (after its last refresh). */
    private static boolean unchangedSinceLastCheck(ViewEntry view) {
        Instant checked = view.lastCheckedAt();
        Instant refreshed = view.stored().lastSuccessAt();
        return checked != null && (refreshed == null || checked.isAfter(refreshed));
    }
}
