package io.mvrefresh.admin;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.DurationText;
import io.mvrefresh.config.RefreshMode;
import io.mvrefresh.config.Schedule;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.scheduling.ViewSnapshot;
import io.mvrefresh.state.RunRecord;
import io.mvrefresh.state.SkipCounts;
import io.mvrefresh.vocabulary.AppliedMode;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

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
 * @param schedule what makes it due, in words: its interval, its cron expression, or its freshness target
 * @param lagSeconds how far it is behind its base tables as far as mvrefresh can see (seconds since
 *     the first change no refresh covered yet, 0 when none); null when changes to what it reads
 *     cannot be detected
 * @param freshness its freshness target and what mvrefresh learned about meeting it
 * @param why why it is in its state: reason, message and until (see {@link WhyView})
 * @param settingSources where each per-view setting comes from: {@code default}, {@code comment}
 *     (the {@code mvrefresh:} line of the view's comment) or {@code properties}
 * @param commentError why the settings in its comment are not in effect (it is then
 *     {@code failing} and runs on its last good settings), naming the key and value; null when
 *     they are or it has none
 */
@RegisterForReflection
public record ViewView(
        String name,
        String priority,
        String mode,
        String modeInEffect,
        String interval,
        String cron,
        boolean enabled,
        boolean configured,
        String status,
        Boolean populated,
        String concurrentlyIneligibleReason,
        List<String> upstream,
        boolean skipUnchanged,
        List<String> notSkippableBecause,
        Instant lastSuccessAt,
        Instant lastVerifiedAt,
        Instant lastAttemptAt,
        int consecutiveFailures,
        RunView lastRun,
        Instant nextDue,
        Long stalenessSeconds,
        Long queuedRunId,
        Long runningRunId,
        String scheduleError,
        Skips skips,
        String schedule,
        Long lagSeconds,
        Freshness freshness,
        WhyView why,
        Map<String, String> settingSources,
        String commentError) {

    /**
     * Why the view is in its state.
     *
     * @param reason {@code due}, {@code scheduled}, {@code running}, {@code queued}, {@code waiting-for-source},
     *     {@code min-interval}, {@code locked-elsewhere}, {@code retrying}, {@code unchanged}, {@code paused},
     *     {@code disabled}, {@code missing} or {@code failing}
     * @param message the same in a sentence
     * @param until when the state ends, where one is known; null otherwise
     */
    @RegisterForReflection
    public record WhyView(String reason, String message, Instant until) {
    }

    /**
     * A view's freshness target.
     *
     * @param maxStaleness how far it may lag its base tables, or null without a target
     * @param minInterval the least time between the starts of two of its refreshes, or null when unbounded
     * @param watched whether changes to its base tables make it due (it has a target and its changes can be detected)
     * @param refreshedEvery set when it has a target but its result changes without writes: it is then
     *     refreshed on this period instead of on change
     * @param expectedRefreshMillis what a refresh of it is expected to take, learned from its recent
     *     successes (their 90th percentile), or null before any
     * @param targetUnmeetable why the target cannot be met, or null
     */
    @RegisterForReflection
    public record Freshness(
            String maxStaleness,
            String minInterval,
            boolean watched,
            String refreshedEvery,
            Long expectedRefreshMillis,
            String targetUnmeetable) {

        static Freshness of(ViewSnapshot status) {
            ViewSettings settings = status.settings();
            boolean targeted = settings.maxStaleness().isPresent();
            return new Freshness(
                    settings.maxStaleness().map(DurationText::of).orElse(null),
                    settings.minInterval().isZero() ? null : DurationText.of(settings.minInterval()),
                    targeted && status.watchable(),
                    targeted && status.catalogView() != null && !status.watchable()
                            ? DurationText.of(settings.maxStaleness().get())
                            : null,
                    status.expectedDuration() == null
                            ? null
                            : status.expectedDuration().toMillis(),
                    status.targetUnmeetable());
        }
    }

    /** Runs that executed nothing. */
    @RegisterForReflection
    public record Skips(long unchanged, long lockedElsewhere, long paused, Instant lastAt, String lastReason) {

        static Skips of(SkipCounts counts) {
            return new Skips(
                    counts.unchanged(),
                    counts.lockedElsewhere(),
                    counts.paused(),
                    counts.lastAt(),
                    counts.lastReason() == null ? null : counts.lastReason().label());
        }
    }

    static ViewView of(ViewSnapshot status, RunRecord lastRun) {
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
                catalog == null
                        ? List.of()
                        : catalog.upstreamViews().stream()
                                .map(Object::toString)
                                .sorted()
                                .toList(),
                settings.skipUnchanged(),
                catalog == null ? List.of() : catalog.changeDetectionBlockers(),
                status.state().lastSuccessAt(),
                status.state().lastVerifiedAt(),
                status.state().lastAttemptAt(),
                status.state().consecutiveFailures(),
                lastRun == null
                        ? null
                        : RunView.of(lastRun, !settings.invalidation().isEmpty()),
                status.nextDue(),
                freshAsOf == null
                        ? null
                        : Math.max(
                                0,
                                Duration.between(freshAsOf, status.observedAt()).toSeconds()),
                status.queuedRunId(),
                status.runningRunId(),
                status.scheduleError(),
                Skips.of(status.state().skips()),
                settings.schedule().describe(),
                status.lag() == null ? null : Math.max(0, status.lag().toSeconds()),
                Freshness.of(status),
                new WhyView(status.why().reason(), status.why().message(), status.why().until()),
                settings.sources().byKey(),
                settings.commentProblem().orElse(null));
    }

    private static String modeInEffect(RefreshMode mode, CatalogView catalog) {
        return catalog == null ? null : catalog.modeInEffect(mode).map(AppliedMode::label).orElse(null);
    }
}
