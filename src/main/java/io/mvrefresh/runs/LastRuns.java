package io.mvrefresh.runs;

import io.mvrefresh.refresh.RefreshOutcome;
import io.mvrefresh.state.RunRecord;
import io.mvrefresh.vocabulary.Outcome;
import io.mvrefresh.vocabulary.ViewId;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each view's last run that did something (refreshed or failed; skips are counted, not shown)
 * and how long its last successful refresh took: the read model {@code /admin/views} and the
 * per-view gauges show. Filled from history at startup, then kept by the run events.
 */
@ApplicationScoped
public class LastRuns {

    private record Last(RunRecord run, Duration refreshDuration) {
    }

    private final Map<ViewId, Last> byView = new ConcurrentHashMap<>();

    /** The newest run of {@code view} that was not a skip, if any is known. */
    public Optional<RunRecord> lastRun(ViewId view) {
        return Optional.ofNullable(byView.get(view)).map(Last::run);
    }

    /** How long {@code view}'s last successful refresh took; empty before the first. */
    public Optional<Duration> lastRefreshDuration(ViewId view) {
        return Optional.ofNullable(byView.get(view)).map(Last::refreshDuration);
    }

    /** Runs read from history: each is taken where nothing newer is known. */
    public void load(Collection<RunRecord> runs) {
        for (RunRecord run : runs) {
            byView.compute(run.view(), (view, known) -> {
                if (known != null && known.run() != null && known.run().id() >= run.id()) {
                    return known;
                }
                Duration took = run.outcome() == Outcome.SUCCESS && run.startedAt() != null
                        ? Duration.between(run.startedAt(), run.finishedAt())
                        : known == null ? null : known.refreshDuration();
                return new Last(run, took);
            });
        }
    }

    void onRunFinished(@Observes RunFinished finished) {
        RunRecord record = finished.run().record();
        switch (finished.run().outcome()) {
            case RefreshOutcome.Refreshed refreshed ->
                byView.put(record.view(), new Last(record, Duration.between(record.startedAt(), record.finishedAt())));
            case RefreshOutcome.Failed failed ->
                byView.compute(record.view(), (view, known) -> new Last(record, known == null ? null : known.refreshDuration()));
            case RefreshOutcome.Skipped skipped -> {
            }
            case RefreshOutcome.AlreadyFresh fresh -> {
            }
            case RefreshOutcome.WaitingForRelated waiting -> {
            }
        }
    }

    void onRunInvalidated(@Observes RunInvalidated invalidated) {
        byView.computeIfPresent(invalidated.view(),
                (view, known) -> known.run() != null && known.run().id() == invalidated.runId()
                        ? new Last(known.run().withKeysInvalidated(invalidated.keys()), known.refreshDuration())
                        : known);
    }
}
