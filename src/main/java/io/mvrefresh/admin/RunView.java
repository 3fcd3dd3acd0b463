package io.mvrefresh.admin;

import io.mvrefresh.state.RunRecord;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.time.Duration;
import java.time.Instant;

/** One run as the admin API shows it. */
@RegisterForReflection
public record RunView(long runId, String view, String trigger, String mode, String instance, Instant queuedAt,
        Instant startedAt, Instant finishedAt, Long durationMillis, String outcome, String error, String skipReason,
        Long keysInvalidated) {

    static RunView of(RunRecord run) {
        Long millis = run.startedAt() == null ? null : Duration.between(run.startedAt(), run.finishedAt()).toMillis();
        return new RunView(run.id(), run.view().toString(), run.trigger().label(), run.mode() == null ? null : run.mode().label(),
                run.instance(), run.queuedAt(), run.startedAt(), run.finishedAt(), millis, run.outcome().label(), run.error(),
                run.skipReason() == null ? null : run.skipReason().label(), run.keysInvalidated());
    }
}
