package io.mvrefresh.admin;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.RefreshMode;
import io.mvrefresh.config.Schedule;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.scheduling.ViewStatus;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One view as the admin API shows it.
 *
 * @param mode the configured mode
 * @param modeInEffect what the next refresh would run: {@code concurrent} or {@code blocking}, or
 *     null when it cannot run (missing, or {@code concurrent} mode on an ineligible view)
 * @param concurrentlyIneligibleReason why CONCURRENTLY is not possible, or null
 * @param stalenessSeconds seconds since the last successful refresh, null when never refreshed
 */
@RegisterForReflection
public record ViewView(String name, String priority, String mode, String modeInEffect, String interval, String cron,
        boolean enabled, boolean configured, String status, Boolean populated, String concurrentlyIneligibleReason,
        List<String> upstream, Instant lastSuccessAt, Instant lastAttemptAt, int consecutiveFailures, RunView lastRun,
        Instant nextDue, Long stalenessSeconds, Long queuedRunId, Long runningRunId) {

    static ViewView of(ViewStatus status) {
        ViewSettings settings = status.settings();
        CatalogView catalog = status.catalogView();
        Instant lastSuccess = status.state().lastSuccessAt();
        return new ViewView(
                settings.view().toString(),
                settings.priority().label(),
                settings.mode().label(),
                modeInEffect(settings.mode(), catalog),
                settings.schedule() instanceof Schedule.Every every ? every.describe() : null,
                settings.schedule() instanceof Schedule.CronSchedule cron ? cron.expression() : null,
                settings.enabled(),
                settings.configured(),
                status.status(),
                catalog == null ? null : catalog.populated(),
                catalog == null || catalog.concurrentlyEligible() ? null : catalog.concurrentlyIneligibleReason(),
                catalog == null ? List.of() : catalog.upstreamViews().stream().map(Object::toString).sorted().toList(),
                lastSuccess,
                status.state().lastAttemptAt(),
                status.state().consecutiveFailures(),
                status.lastRun() == null ? null : RunView.of(status.lastRun()),
                status.nextDue(),
                lastSuccess == null ? null : Math.max(0, Duration.between(lastSuccess, status.observedAt()).toSeconds()),
                status.queuedRunId(),
                status.runningRunId());
    }

    private static String modeInEffect(RefreshMode mode, CatalogView catalog) {
        if (catalog == null) {
            return null;
        }
        return switch (mode) {
            case BLOCKING -> "blocking";
            case AUTO -> catalog.concurrentlyEligible() ? "concurrent" : "blocking";
            case CONCURRENT -> catalog.concurrentlyEligible() ? "concurrent" : null;
        };
    }
}
