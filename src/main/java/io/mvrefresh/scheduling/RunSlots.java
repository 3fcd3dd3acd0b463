package io.mvrefresh.scheduling;

import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The runs of one view and how requests land in them: the queued run (requests join it), the
 * running one, the one follow-up of a running run, a run held while a related view refreshes on
 * another replica, and a request held back by {@code min-interval}.
 */
final class RunSlots {

    private final ViewId view;
    private Ticket queued;
    private Ticket running;
    private Ticket followUp;
    /** A run that found a related view refreshing on another replica: it runs (same run id) once that is done. */
    private Ticket held;
    /** A request that min-interval held back: the view runs with this trigger once it may. Null when none. */
    private Trigger owedTrigger;
    /** When the held-back request was made. */
    private Instant owedSince;

    RunSlots(ViewId view) {
        this.view = view;
    }

    Ticket queued() {
        return queued;
    }

    Ticket running() {
        return running;
    }

    Trigger owedTrigger() {
        return owedTrigger;
    }

    Instant owedSince() {
        return owedSince;
    }

    /** Whether something is queued or running. */
    boolean busy() {
        return queued != null || running != null;
    }

    /** The run id of the queued run, or of the held one; null when neither. */
    Long waitingRunId() {
        return queued != null ? Long.valueOf(queued.runId()) : held != null ? Long.valueOf(held.runId()) : null;
    }

    boolean held() {
        return held != null;
    }

    /** A refresh that started at {@code startedAt} (here or on another replica) served what was held back before it. */
    void coveredUpTo(Instant startedAt) {
        if (owedSince != null && startedAt != null && !owedSince.isAfter(startedAt)) {
            owedTrigger = null;
            owedSince = null;
        }
    }

    /** Keeps a request that may not run yet. */
    void owe(Trigger trigger, Instant at) {
        owedSince = owedSince == null || at.isBefore(owedSince) ? at : owedSince;
        owedTrigger = owedTrigger == null ? trigger : owedTrigger.strongest(trigger);
    }

    /**
     * A request: joins the held run (queued again once {@code heldUntil} has passed), the queued
     * run, or the follow-up of the running one, or needs a new run (with {@code runId}, else
     * {@link Admission.NeedsRunId}).
     *
     * @param dueAt when the view became due, for a new queued run
     * @param knownFreshAsOf when the view was last known fresh, for a new run
     */
    Admission request(Trigger trigger, Instant dueAt, Instant now, OptionalLong runId, Instant knownFreshAsOf,
            Instant heldUntil) {
        if (held != null && !busy()) {
            // Its run waits for a related view on another replica: a request joins it, and once the
            // wait is over (the tick's request) it is queued again, with its run id.
            held.merge(trigger);
            if (heldUntil != null && now.isBefore(heldUntil)) {
                return new Admission.Accepted(held, Admission.How.JOINED);
            }
            queued = held;
            held = null;
            return new Admission.Accepted(queued, Admission.How.QUEUED);
        }
        if (running == null) {
            if (queued != null) {
                queued.merge(trigger);
                return new Admission.Accepted(queued, Admission.How.JOINED);
            }
            if (runId.isEmpty()) {
                return new Admission.NeedsRunId();
            }
            queued = new Ticket(runId.getAsLong(), view, trigger, dueAt, now, knownFreshAsOf);
            return new Admission.Accepted(queued, Admission.How.QUEUED);
        }
        if (followUp != null) {
            followUp.merge(trigger);
            return new Admission.Accepted(followUp, Admission.How.FOLLOW_UP);
        }
        if (runId.isEmpty()) {
            return new Admission.NeedsRunId();
        }
        followUp = new Ticket(runId.getAsLong(), view, trigger, now, now, knownFreshAsOf);
        return new Admission.Accepted(followUp, Admission.How.FOLLOW_UP);
    }

    /** The queued run starts; it serves what was held back too. */
    Ticket start() {
        running = queued;
        queued = null;
        if (owedTrigger != null) {
            running.merge(owedTrigger);
            owedTrigger = null;
            owedSince = null;
        }
        return running;
    }

    /** The running run ended ({@code waits}: it is to run again after a related view); answers whether it was {@code ticket}. */
    boolean finished(Ticket ticket, boolean waits) {
        if (running != ticket) {
            return false;
        }
        running = null;
        if (waits) {
            held = ticket;
        }
        return true;
    }

    /**
     * The follow-up becomes the queued run, unless {@code minIntervalHolds} for it (a forced one it
     * never does): then it is kept as a held-back request and answered, to be told dropped.
     */
    Ticket promoteFollowUp(boolean minIntervalHolds) {
        Ticket next = followUp;
        followUp = null;
        if (next == null) {
            return null;
        }
        if (next.trigger() != Trigger.ADMIN && minIntervalHolds) {
            owe(next.trigger(), next.queuedAt());
            return next;
        }
        queued = next;
        return null;
    }

    /** Drops everything waiting; the running run, if any, finishes on its own. */
    List<Ticket> dropWaiting() {
        owedTrigger = null;
        owedSince = null;
        List<Ticket> dropped = new ArrayList<>(3);
        for (Ticket waiting : new Ticket[]{held, queued, followUp}) {
            if (waiting != null) {
                dropped.add(waiting);
            }
        }
        held = null;
        queued = null;
        followUp = null;
        return dropped;
    }
}
