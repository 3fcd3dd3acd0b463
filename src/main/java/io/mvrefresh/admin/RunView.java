package io.mvrefresh.admin;

import io.mvrefresh.state.RunRecord;
import io.mvrefresh.vocabulary.Outcome;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.time.Duration;
import java.time.Instant;

/**
 * One run as the admin API shows it.
 *
 * @param invalidation {@code done} (then {@code keysInvalidated} says how many keys), {@code pending}
 *     (a committed refresh of a view with invalidation rules whose invalidation is not done yet), or
 *     {@code none} (nothing to invalidate: no rules, the run did not commit a refresh, or it
 *     changed no row)
 * @param rowsChanged rows a CONCURRENTLY refresh's merge deleted plus those it inserted; null where
 *     unknown (a plain refresh, or no refresh)
 */
@RegisterForReflection
public record RunView(long runId, String view, String trigger, String mode, String instance, Instant queuedAt,
        Instant startedAt, Instant finishedAt, Long durationMillis, String outcome, String error, String skipReason,
        Long keysInvalidated, String invalidation, Long rowsChanged) {

    static RunView of(RunRecord run, boolean hasInvalidationRules) {
        Long millis = run.startedAt() == null ? null : Duration.between(run.startedAt(), run.finishedAt()).toMillis();
        String invalidation = run.keysInvalidated() != null
                ? "done"
                : hasInvalidationRules && run.outcome() == Outcome.SUCCESS && !run.changedNothing() ? "pending" : "none";
        return new RunView(run.id(), run.view().toString(), run.trigger().label(), run.mode() == null ? null : run.mode().label(),
                run.instance(), run.queuedAt(), run.startedAt(), run.finishedAt(), millis, run.outcome().label(), run.error(),
                run.skipReason() == null ? null : run.skipReason().label(), run.keysInvalidated(), invalidation,
                run.rowsChanged());
    }
}
