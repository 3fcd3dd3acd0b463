package io.mvrefresh.admin;

import io.mvrefresh.scheduling.Admission;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The answer to a forced refresh that has not finished (yet), or, in a bulk answer, why a view
 * is not refreshed.
 *
 * @param runId the run that refreshes the view; null when none will
 * @param status {@code queued} (a new run), {@code joined} (the run that was queued already),
 *     {@code follow-up} (the one run after the refresh in progress), or why nothing runs:
 *     {@code paused}, {@code disabled}, {@code missing}, {@code stopping}
 * @param reason for a view that is not refreshed, the explanation; otherwise null
 */
@RegisterForReflection
public record RefreshAccepted(Long runId, String view, String status, String reason) {

    static RefreshAccepted of(ViewId view, Admission admission) {
        return switch (admission) {
            case Admission.Accepted accepted ->
                new RefreshAccepted(accepted.ticket().runId(), view.toString(), accepted.how().label(), null);
            case Admission.Refused refused ->
                new RefreshAccepted(null, view.toString(), refused.refusal().label(), refused.message());
            case Admission.NeedsRunId needs -> throw new IllegalStateException("admission without a run id");
            case Admission.Deferred deferred -> throw new IllegalStateException("a forced refresh is never deferred");
        };
    }
}
