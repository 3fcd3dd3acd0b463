package io.mvrefresh.scheduling;

import io.mvrefresh.vocabulary.Trigger;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The changes to what a view reads that no refresh has covered yet. Its lag counts from
 * {@code since}; a view with a freshness target must have caught up by {@code since + max-staleness}.
 *
 * @param since the first uncovered change; null when none is known
 * @param trigger the strongest reason among those changes: a source's refresh ({@code dependency})
 *     or a write ({@code schedule}); null when none
 * @param announced whether a notification announced one of them. An announced write is known, not
 *     inferred: the writer's counters may be published only after the run reads them, so that run
 *     must refresh rather than conclude from them that nothing changed
 * @param duringRun the first change seen while a run was in progress: that run may not cover it
 */
record PendingChange(Instant since, Trigger trigger, boolean announced, Instant duringRun) {

    static final PendingChange NONE = new PendingChange(null, null, false, null);

    /** Whether an uncovered change is known. */
    boolean pending() {
        return since != null;
    }

    /** Something it reads changed at {@code at}; {@code running}: a run of the view is in progress. */
    PendingChange changed(Instant at, Trigger reason, boolean wasAnnounced, boolean running) {
        Instant first = since == null || at.isBefore(since) ? at : since;
        Instant seenDuringRun = running && duringRun == null ? at : duringRun;
        Trigger strongest = trigger == null ? reason : trigger.strongest(reason);
        return new PendingChange(first, strongest, announced || wasAnnounced, seenDuringRun);
    }

    /** A run starts, or ended: changes seen from now on are not "during" it. */
    PendingChange runBoundary() {
        return duringRun == null ? this : new PendingChange(since, trigger, announced, null);
    }

    /** Every change up to {@code covered} is in the view: what is left is what came after. */
    PendingChange coveredUpTo(Instant covered) {
        if (since == null || covered == null || since.isAfter(covered)) {
            return this;
        }
        if (duringRun != null && duringRun.isAfter(covered)) {
            return new PendingChange(duringRun, trigger, announced, duringRun);
        }
        return duringRun == null ? NONE : new PendingChange(null, null, false, duringRun);
    }

    /** When the first uncovered change must be in the view by {@code maxStaleness}; null when none. */
    Instant deadline(Optional<Duration> maxStaleness) {
        return since == null ? null : maxStaleness.map(since::plus).orElse(null);
    }
}
