package io.mvrefresh.config;

import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * The settings in effect for one view: its own overrides merged over the defaults.
 *
 * @param configured whether the view is named under {@code mvrefresh.views}, so a missing one is
 *     reported rather than silently ignored
 * @param maxStaleness the freshness target: the view lags its base tables by at most this much
 * @param minInterval two refreshes never start closer together than this; zero for no limit
 * @param afterSql SQL run in the refresh's transaction after a successful REFRESH
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
        boolean configured,
        Optional<Duration> maxStaleness,
        Duration minInterval,
        Optional<String> afterSql) {

    public ViewSettings {
        dependsOn = Set.copyOf(dependsOn);
    }

    /** Settings without a freshness target, a minimum interval or after-SQL. */
    public ViewSettings(ViewId view, Schedule schedule, Priority priority, RefreshMode mode, Duration timeout,
            Duration lockTimeout,
            boolean skipUnchanged, Set<ViewId> dependsOn, InvalidationRules invalidation, boolean enabled, boolean configured) {
        this(view, schedule, priority, mode, timeout, lockTimeout, skipUnchanged, dependsOn, invalidation, enabled, configured,
                Optional.empty(), Duration.ZERO, Optional.empty());
    }

    /** Whether the view has a freshness target, so mvrefresh watches what it reads. */
    public boolean hasTarget() {
        return maxStaleness.isPresent();
    }
}
