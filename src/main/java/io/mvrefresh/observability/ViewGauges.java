package io.mvrefresh.observability;

import io.mvrefresh.config.Schedule;
import io.mvrefresh.metrics.ViewMetrics;
import io.mvrefresh.runs.LastRuns;
import io.mvrefresh.scheduling.ViewSnapshot;
import io.mvrefresh.scheduling.ViewsChanged;
import io.mvrefresh.scheduling.ViewsKnown;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the per-view gauges in step with the views' pictures, and says once (at WARN) when a
 * view's freshness target cannot be met.
 */
@ApplicationScoped
public class ViewGauges {

    private final ViewMetrics viewMetrics;
    private final LastRuns lastRuns;
    private final Set<ViewId> targetWarned = ConcurrentHashMap.newKeySet();

    public ViewGauges(ViewMetrics viewMetrics, LastRuns lastRuns) {
        this.viewMetrics = viewMetrics;
        this.lastRuns = lastRuns;
    }

    void onViewsChanged(@Observes ViewsChanged changed) {
        for (ViewSnapshot view : changed.views()) {
            ViewId id = view.settings().view();
            ViewState state = view.state();
            Optional<Duration> period = view.settings().schedule() instanceof Schedule.OnChange
                    ? Optional.empty()
                    : Optional.of(view.settings().schedule().period(view.observedAt()));
            viewMetrics.publish(id.toString(),
                    new ViewMetrics.Values(state.freshAsOf(), state.lastSuccessAt(),
                            lastRuns.lastRefreshDuration(id).orElse(null), period, view.settings().maxStaleness(),
                            view.watchable(), view.changedSince(), state.paused(), view.settings().enabled(),
                            view.catalogView() == null, state.consecutiveFailures()));
            warnIfTargetUnmeetable(id, view.targetUnmeetable());
        }
    }

    void onViewsKnown(@Observes ViewsKnown known) {
        Set<String> names = new HashSet<>();
        known.views().forEach(view -> names.add(view.toString()));
        viewMetrics.retainOnly(names);
    }

    private void warnIfTargetUnmeetable(ViewId view, String unmeetable) {
        if (unmeetable == null) {
            targetWarned.remove(view);
        } else if (targetWarned.add(view)) {
            Log.warnf("view %s: %s; raise max-staleness, lower min-interval or make the refresh cheaper", view, unmeetable);
        }
    }
}
