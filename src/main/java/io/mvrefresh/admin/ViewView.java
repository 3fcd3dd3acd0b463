package io.mvrefresh.admin;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.RefreshMode;
import io.mvrefresh.config.Schedule;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.scheduling.ViewSnapshot;
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
 * @param notSkippableBecause why skip-unchanged never applies to this view (its result can change
 *     without a write); empty when it can
 * @param lastVerifiedAt when the view was last known to match its base tables (a refresh, or a
 *     check that found nothing changed)
 * @param stalenessSeconds seconds since {@code lastVerifiedAt}, null when never refreshed
 * @param scheduleError why the view's due time could not be computed (it is then {@code failing}), or null
 * @param skips runs that executed nothing, by reason, and the latest: kept on the view, not in the run history
 */
@RegisterForReflection
public record ViewView(String name, String priority, String mode, String modeInEffect, String interval, String cron,
        boolean enabled, boolean configured, String status, Boolean populated, String concurrentlyIneligibleReason,
        List<String> upstream, boolean skipUnchanged, List<String> notSkippableBecause, Instant lastSuccessAt,
        Instant lastVerifiedAt, Instant lastAttemptAt, int consecutiveFailures, RunView lastRun,
        Instant nextDue, Long stalenessSeconds, Long queuedRunId, Long runningRunId, String scheduleError, Skips skips) {

    /** Runs that executed nothing. */
    @RegisterForReflection
    public record Skips(long unchanged, long lockedElsewhere, long paused, Instant lastAt, String lastReason) {
        static Skips of(io.mvrefresh.state.SkipCounts counts) {
            return new Skips(counts.unchanged(), counts.lockedElsewhere(), counts.paused(), counts.lastAt(),
                    counts.lastReason() == null ? null : counts.lastReason().label());
        }
    }

    static ViewView of(ViewSnapshot status) {
        ViewSettings settings = status.settings();
        CatalogView catalog = status.catalogView();
        Instant freshAsOf = status.state().freshAsOf();
        return new ViewView(
                settings.view().toString(),
                settings.priority().label(),
                settings.mode().label(),
                modeInEffect(settings.mode(), catalog),
                settings.schedule() instanceof Schedule.Every every ? every.describe() : null,
                settings.schedule() instanceof Schedule.CronSchedule cron ? cron.describe() : null,
                settings.enabled(),
                settings.configured(),
                status.status().label(),
                catalog == null ? null : catalog.populated(),
                catalog == null || catalog.concurrentlyEligible() ? null : catalog.concurrentlyIneligibleReason(),
                catalog == null ? List.of() : catalog.upstreamViews().stream().map(Object::toString).sorted().toList(),
                settings.skipUnchanged(),
                catalog == null ? List.of() : catalog.changeDetectionBlockers(),
                status.state().lastSuccessAt(),
                status.state().lastVerifiedAt(),
                status.state().lastAttemptAt(),
                status.state().consecutiveFailures(),
                status.lastRun() == null ? null : RunView.of(status.lastRun()),
                status.nextDue(),
                freshAsOf == null ? null : Math.max(0, Duration.between(freshAsOf, status.observedAt()).toSeconds()),
                status.queuedRunId(),
                status.runningRunId(),
                status.scheduleError(),
                Skips.of(status.state().skips()));
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
