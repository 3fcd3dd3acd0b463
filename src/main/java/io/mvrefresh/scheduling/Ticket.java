package io.mvrefresh.scheduling;

import io.mvrefresh.refresh.CompletedRun;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * A queued or running refresh. Requests for a view that is already queued share its ticket, so
 * every caller learns the same run id and result, and the ticket carries the strongest trigger
 * any of them asked with. Its trigger changes only under the policy's lock.
 *
 * @see Trigger#strongest(Trigger)
 */
public final class Ticket {

    private final long runId;
    private final ViewId view;
    private final Instant dueAt;
    private final Instant queuedAt;
    private final Instant knownFreshAsOf;
    private final CompletableFuture<CompletedRun> result = new CompletableFuture<>();
    private volatile Trigger trigger;

    Ticket(long runId, ViewId view, Trigger trigger, Instant dueAt, Instant queuedAt, Instant knownFreshAsOf) {
        this.runId = runId;
        this.view = view;
        this.trigger = trigger;
        this.dueAt = dueAt;
        this.queuedAt = queuedAt;
        this.knownFreshAsOf = knownFreshAsOf;
    }

    public long runId() {
        return runId;
    }

    public ViewId view() {
        return view;
    }

    /** The strongest reason this run was asked for so far. */
    public Trigger trigger() {
        return trigger;
    }

    /** When the view became due: orders views of equal priority and drives aging. */
    public Instant dueAt() {
        return dueAt;
    }

    public Instant queuedAt() {
        return queuedAt;
    }

    /** When the view was last known fresh when it was queued; a newer stored value means another replica refreshed it. */
    Instant knownFreshAsOf() {
        return knownFreshAsOf;
    }

    /** Completes when the run ends (exceptionally when it is dropped before it starts). */
    public CompletableFuture<CompletedRun> result() {
        return result;
    }

    /** Another request joined this run: it now carries the stronger of the two reasons. */
    void merge(Trigger requested) {
        trigger = trigger.strongest(requested);
    }

    @Override
    public String toString() {
        return "run #" + runId + "(" + trigger.label() + ") of " + view;
    }
}
