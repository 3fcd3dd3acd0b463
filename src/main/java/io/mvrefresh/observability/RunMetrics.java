package io.mvrefresh.observability;

import io.mvrefresh.metrics.RefreshMetrics;
import io.mvrefresh.metrics.ViewMetrics;
import io.mvrefresh.refresh.RefreshOutcome;
import io.mvrefresh.runs.RunFinished;
import io.mvrefresh.runs.RunStarted;
import io.mvrefresh.state.RunRecord;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;

/** Counts and times every run: how long it waited for a slot, how it ended and how long it took. */
@ApplicationScoped
public class RunMetrics {

    private final RefreshMetrics metrics;
    private final ViewMetrics viewMetrics;

    public RunMetrics(RefreshMetrics metrics, ViewMetrics viewMetrics) {
        this.metrics = metrics;
        this.viewMetrics = viewMetrics;
    }

    void onRunStarted(@Observes RunStarted started) {
        metrics.queueWait(started.job().settings().priority(), started.queueWait());
    }

    void onRunFinished(@Observes RunFinished finished) {
        RunRecord record = finished.run().record();
        String view = record.view().toString();
        if (finished.run().outcome() instanceof RefreshOutcome.Skipped skipped) {
            viewMetrics.skipped(view, skipped.reason());
        }
        if (record.startedAt() != null && record.mode() != null) {
            metrics.refreshFinished(
                    view,
                    finished.settings().priority(),
                    record.mode(),
                    record.outcome(),
                    Duration.between(record.startedAt(), record.finishedAt()));
        }
    }
}
