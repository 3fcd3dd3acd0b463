package io.mvrefresh.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The settings that are not per view, validated and converted ({@link Configuration#validate});
 * each member mirrors the {@code mvrefresh.*} key of the same name in {@link MvRefreshConfig}.
 */
public record GlobalSettings(
        int concurrency,
        RefreshSession refreshSession,
        String instance,
        Discovery discovery,
        Scheduler scheduler,
        Shutdown shutdown,
        Invalidation invalidation,
        Admin admin,
        Health health,
        Schema schema,
        History history,
        Demo demo,
        Metrics metrics,
        Logging log,
        Changes changes,
        Console console) {

    /** {@code mvrefresh.refresh-session.*}; {@code maxRuns} 0 is no limit. */
    public record RefreshSession(int maxRuns) {
    }

    /**
     * {@code mvrefresh.discovery.*}.
     *
     * @param commentSettings whether per-view settings are read from the views' comments
     */
    public record Discovery(List<String> schemas, List<String> include, List<String> exclude, Duration rescanInterval,
            boolean commentSettings) {
    }

    /** {@code mvrefresh.scheduler.*}. */
    public record Scheduler(Duration aging, Duration pollInterval, boolean timers, int reservedForCritical) {
    }

    /** {@code mvrefresh.changes.*}; an empty channel is none. */
    public record Changes(Duration pollInterval, Optional<String> notifyChannel) {
    }

    /** {@code mvrefresh.shutdown.*}. */
    public record Shutdown(Duration grace) {
    }

    /** {@code mvrefresh.invalidation.*}; an empty channel is none. */
    public record Invalidation(Optional<String> channel, int scanCount, int queueCapacity, Duration commandTimeout,
            StandbySelection replicas, Duration replicaWaitMax) {
    }

    /** {@code mvrefresh.admin.*}; the token trimmed, empty when unset or blank. */
    public record Admin(Optional<String> token) {
    }

    /** {@code mvrefresh.health.*}. */
    public record Health(boolean readyRequiresDatabase, Duration livenessTimeout) {
    }

    /** {@code mvrefresh.schema.*}. */
    public record Schema(boolean manage) {
    }

    /** {@code mvrefresh.history.*}. */
    public record History(Duration retention) {
    }

    /** {@code mvrefresh.console.*}. */
    public record Console(boolean enabled) {
    }

    /** {@code mvrefresh.log.*}. */
    public record Logging(boolean successes) {
    }

    /** {@code mvrefresh.metrics.*}. */
    public record Metrics(boolean perViewHistograms) {
    }

    /** {@code mvrefresh.demo.*}. */
    public record Demo(boolean enabled, Duration trickleInterval) {
    }
}
