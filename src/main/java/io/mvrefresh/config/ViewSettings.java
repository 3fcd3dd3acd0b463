package io.mvrefresh.config;

import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import java.util.Set;

/**
 * The settings in effect for one view: its own overrides merged over the defaults.
 *
 * @param configured whether the view is named under {@code mvrefresh.views}, so a missing one is
 *     reported rather than silently ignored
 */
public record ViewSettings(
        ViewId view,
        Schedule schedule,
        Priority priority,
        RefreshMode mode,
        Duration timeout,
        Duration lockTimeout,
        boolean skipUnchanged,
        Set<ViewId> dependsOn,
        InvalidationRules invalidation,
        boolean enabled,
        boolean configured) {

    public ViewSettings {
        dependsOn = Set.copyOf(dependsOn);
    }
}
