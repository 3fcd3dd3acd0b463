package io.mvrefresh.admin;

import io.mvrefresh.scheduling.ViewSnapshot;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.ViewStatus;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /admin/summary}: how many views are in each state and priority, and which view has
 * gone longest without being known fresh.
 *
 * @param byStatus views per status ({@code idle}, {@code queued}, ...), every status listed
 * @param byPriority views per configured priority
 * @param stalest the enabled, unpaused view last known fresh the longest ago, or null
 * @param stalestSeconds its staleness, or null
 */
@RegisterForReflection
public record Summary(int views, Map<String, Integer> byStatus, Map<String, Integer> byPriority, int disabled, String stalest,
        Long stalestSeconds) {

    static Summary of(List<ViewSnapshot> snapshots) {
        Map<String, Integer> byStatus = new TreeMap<>();
        for (ViewStatus status : ViewStatus.values()) {
            byStatus.put(status.label(), 0);
        }
        Map<String, Integer> byPriority = new TreeMap<>();
        for (Priority priority : Priority.values()) {
            byPriority.put(priority.label(), 0);
        }
        int disabled = 0;
        for (ViewSnapshot view : snapshots) {
            byStatus.merge(view.status().label(), 1, Integer::sum);
            byPriority.merge(view.settings().priority().label(), 1, Integer::sum);
            if (!view.settings().enabled()) {
                disabled++;
            }
        }
        ViewSnapshot stalest = snapshots.stream()
                .filter(view -> view.settings().enabled() && !view.state().paused() && view.state().freshAsOf() != null)
                .min(Comparator.comparing(view -> view.state().freshAsOf()))
                .orElse(null);
        Instant now = snapshots.isEmpty() ? null : snapshots.getFirst().observedAt();
        return new Summary(snapshots.size(), byStatus, byPriority, disabled,
                stalest == null ? null : stalest.settings().view().toString(),
                stalest == null ? null : Math.max(0, Duration.between(stalest.state().freshAsOf(), now).toSeconds()));
    }
}
