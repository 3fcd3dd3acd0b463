package io.mvrefresh.scheduling;

import io.mvrefresh.refresh.CompletedRun;
import io.mvrefresh.refresh.RefreshJob;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * A queued or running refresh. Requests for a view that is already queued share its ticket, so
 * every caller learns the same run id and result.
 *
 * @param dueAt when the view became due; orders views of equal priority and drives aging
 */
public record Ticket(RefreshJob job, Instant dueAt, CompletableFuture<CompletedRun> result) {

    static Ticket of(RefreshJob job, Instant dueAt) {
        return new Ticket(job, dueAt, new CompletableFuture<>());
    }

    public long runId() {
        return job.runId();
    }
}
