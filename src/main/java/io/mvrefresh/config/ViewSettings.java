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
 * @param sources where each setting comes from (default, comment, properties)
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
        Optional<String> afterSql,
        SettingSources sources) {

    public ViewSettings {
        dependsOn = Set.copyOf(dependsOn);
    }

    /** Settings that all come from the defaults' sources. */
    public ViewSettings(ViewId view, Schedule schedule, Priority priority, RefreshMode mode, Duration timeout,
            Duration lockTimeout, boolean skipUnchanged, Set<ViewId> dependsOn, InvalidationRules invalidation, boolean enabled,
            boolean configured, Optional<Duration> maxStaleness, Duration minInterval, Optional<String> afterSql) {
        this(view, schedule, priority, mode, timeout, lockTimeout, skipUnchanged, dependsOn, invalidation, enabled, configured,
                maxStaleness, minInterval, afterSql, SettingSources.DEFAULTS);
    }

    /** Settings without a freshness target, a minimum interval or after-SQL. */
    public ViewSettings(ViewId view, Schedule schedule, Priority priority, RefreshMode mode, Duration timeout,
            Duration lockTimeout,
            boolean skipUnchanged, Set<ViewId> dependsOn, InvalidationRules invalidation, boolean enabled, boolean configured) {
        this(view, schedule, priority, mode, timeout, lockTimeout, skipUnchanged, dependsOn, invalidation, enabled, configured,
                Optional.empty(), Duration.ZERO, Optional.empty());
    }

    /** The same settings, with where they come from. */
    ViewSettings from(SettingSources from) {
        return new ViewSettings(view, schedule, priority, mode, timeout, lockTimeout, skipUnchanged, dependsOn, invalidation,
                enabled, configured, maxStaleness, minInterval, afterSql, from);
    }

    /** Why the comment's settings are not in effect, naming the key and value; empty when they are (or there are none). */
    public Optional<String> commentProblem() {
        return sources.commentProblem();
    }

    /** Whether the view has a freshness target, so mvrefresh watches what it reads. */
    public boolean hasTarget() {
        return maxStaleness.isPresent();
    }
}
