package io.mvrefresh.scheduling;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.DurationText;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.refresh.CompletedRun;
import io.mvrefresh.refresh.RefreshOutcome;
import io.mvrefresh.state.RunRecord;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.mvrefresh.vocabulary.ViewStatus;
import io.quarkus.logging.Log;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the scheduler knows about one view, and the view's own transitions: idle → queued →
 * running → idle, requests merging into a queued run or becoming the one follow-up of a running
 * one, pauses dropping what waits. When it is due is {@link DueRule}'s; only
 * {@link SchedulingPolicy} holds entries, under its lock.
 */
final class ViewEntry {

    /** How long a view another replica is refreshing is left alone: by then the holder has stored its result. */
    private static final Duration LOCKED_RETRY = Duration.ofSeconds(15);
    /** How soon a run that found a related view refreshing on another replica tries again. */
    static final Duration RELATED_RETRY = Duration.ofSeconds(2);

    private final ViewId id;
    private ViewSettings settings;
    private final LearnedDurations durations = new LearnedDurations();
    private CatalogView catalog;
    /** When the catalog scan that produced {@link #catalog} ran. */
    private Instant catalogSeenAt;

    private ViewState stored;
    private final RunSlots runs;
    private Instant deferredUntil;
    private double retryJitter = 1.0;
    private String scheduleError;
    private PendingChange pending = PendingChange.NONE;
    /** When its last refresh started, here or (as stored) anywhere: {@code min-interval} counts from it. */
    private Instant lastStartedAt;
    /** When a check last found nothing changed: the next check is not before a moment after it. */
    private Instant lastCheckedAt;
    /** Whether the last check that found nothing changed was made on schedule, and so needs one follow-up check. */
    private boolean followUpCheckDue;
    /** The rule that set its current due time. */
    private DueRule.Cause dueCause = DueRule.Cause.SCHEDULE;

    ViewEntry(ViewSettings settings, ViewState stored) {
        this.id = settings.view();
        this.settings = settings;
        this.stored = stored;
        this.runs = new RunSlots(settings.view());
    }

    ViewId id() {
        return id;
    }

    ViewSettings settings() {
        return settings;
    }

    CatalogView catalog() {
        return catalog;
    }

    ViewState stored() {
        return stored;
    }

    Ticket queued() {
        return runs.queued();
    }

    Ticket running() {
        return runs.running();
    }

    PendingChange pending() {
        return pending;
    }

    String scheduleError() {
        return scheduleError;
    }

    DueRule.Cause dueCause() {
        return dueCause;
    }

    /** Whether its last run found a related view refreshing on another replica, and is held until that is done. */
    boolean waitingForRelatedElsewhere() {
        return runs.held();
    }

    Instant lastCheckedAt() {
        return lastCheckedAt;
    }

    /** Whether changes to what it reads can be detected from write counters (no time functions and the like). */
    boolean watchable() {
        return catalog != null && catalog.changeDetectable();
    }

    /**
     * Something it reads changed at {@code at}: a write seen in the counters or announced, or a
     * source's refresh ({@code dependency}). Its lag counts from the first such change not covered
     * by a refresh; a view with a freshness target becomes due.
     */
    void changed(Instant at, Trigger trigger, boolean announced) {
        pending = pending.changed(at, trigger, announced, runs.running() != null);
    }

    /** When a change it has not caught up with must be in it, by its freshness target; null when none. */
    Instant deadline() {
        return pending.deadline(settings.maxStaleness());
    }

    /** What a refresh of it is expected to take (90th percentile of recent ones); null before the first. */
    Duration expectedDuration() {
        return durations.expected();
    }

    RunQueue.Urgency urgency() {
        return new RunQueue.Urgency(deadline(), expectedDuration());
    }

    /** Why its freshness target cannot be met (min-interval plus the expected refresh exceed it); null when it can. */
    String targetUnmeetable() {
        Duration expected = expectedDuration();
        if (settings.maxStaleness().isEmpty() || expected == null) {
            return null;
        }
        Duration needed = settings.minInterval().plus(expected);
        if (needed.compareTo(settings.maxStaleness().get()) <= 0) {
            return null;
        }
        return "max-staleness " + DurationText.of(settings.maxStaleness().get()) + " cannot be met: min-interval "
                + DurationText.of(settings.minInterval()) + " plus a refresh (" + expected.toMillis()
                + " ms, 90th percentile of recent ones) take longer";
    }

    boolean missing() {
        return catalog == null;
    }

    boolean busy() {
        return runs.busy();
    }

    /** Why nothing may refresh the view right now, whoever asks; null when something may. */
    Admission.Refusal refusal() {
        if (missing()) {
            return Admission.Refusal.MISSING;
        }
        if (!settings.enabled()) {
            return Admission.Refusal.DISABLED;
        }
        if (stored.paused()) {
            return Admission.Refusal.PAUSED;
        }
        return null;
    }

    private String refusalMessage(Admission.Refusal refusal) {
        return switch (refusal) {
            case MISSING -> "view " + id + " is configured but does not exist in PostgreSQL";
            case DISABLED -> "view " + id + " is disabled (mvrefresh.views.\"" + id + "\".enabled=false)";
            case PAUSED -> "view " + id + " is paused: POST /admin/views/" + id + "/resume first";
            case UNKNOWN, STOPPING -> throw new IllegalArgumentException(refusal.label());
        };
    }

    /** Until when {@code min-interval} holds back a run starting at {@code now}; null when it does not. */
    Instant minIntervalUntil(Instant now) {
        Instant allowed = DueRule.minIntervalEnd(settings, lastStartedAt);
        return allowed != null && allowed.isAfter(now) ? allowed : null;
    }

    /** Keeps a request that may not run yet: the view falls due with it once it may (see {@link DueRule}). */
    void owe(Trigger trigger, Instant at) {
        runs.owe(trigger, at);
    }

    /**
     * A request for this view: joins the queued run, or the follow-up of the running one, or
     * needs a new run (with {@code runId}, else {@link Admission.NeedsRunId}).
     *
     * @param dueAt when the view became due, for a new queued run
     */
    Admission request(Trigger trigger, Instant dueAt, Instant now, OptionalLong runId) {
        Admission.Refusal refusal = refusal();
        if (refusal != null) {
            return new Admission.Refused(refusal, refusalMessage(refusal));
        }
        return runs.request(trigger, dueAt, now, runId, stored.freshAsOf(), deferredUntil);
    }

    /** The queued run starts at {@code now}. */
    Ticket start(Instant now) {
        lastStartedAt = now;
        pending = pending.runBoundary();
        return runs.start();
    }

    /**
     * The running run ended; {@code run} is null when it ended without an outcome. The follow-up,
     * if any, becomes the queued run. Answers whether {@code ticket} was this entry's running run.
     */
    boolean finish(Ticket ticket, CompletedRun run, double jitter) {
        if (!runs.finished(ticket, run != null && run.outcome() instanceof RefreshOutcome.WaitingForRelated)) {
            return false;
        }
        if (run != null) {
            apply(run, jitter);
        }
        pending = pending.runBoundary();
        return true;
    }

    private void apply(CompletedRun run, double jitter) {
        RunRecord record = run.record();
        run.stored().ifPresent(this::applyStored);
        switch (run.outcome()) {
            case RefreshOutcome.Refreshed refreshed -> {
                durations.learned(Duration.between(record.startedAt(), record.finishedAt()));
                lastStartedAt = ViewState.later(lastStartedAt, record.startedAt());
                pending = pending.coveredUpTo(record.startedAt());
                deferredUntil = null;
                followUpCheckDue = false;
                if (catalog != null && !catalog.populated()) {
                    catalog = catalog.populatedNow();
                }
            }
            case RefreshOutcome.Skipped skipped -> {
                switch (skipped.reason()) {
                    // The stored row, answered by the write, says it was verified.
                    case UNCHANGED -> {
                        // The first check after a refresh vouches only up to the statistics delay
                        // before it; one more that long later covers the rest. That one does not
                        // ask for another, or a view would be checked every few seconds.
                        followUpCheckDue = !followUpCheckDue;
                        lastCheckedAt = record.finishedAt();
                    }
                    // Another replica holds the lock, or paused it: its result reaches view_state soon.
                    case LOCKED_ELSEWHERE, PAUSED -> {
                        Duration period = settings.schedule().period(record.finishedAt());
                        deferredUntil = record.finishedAt().plus(period.compareTo(LOCKED_RETRY) < 0 ? period : LOCKED_RETRY);
                    }
                }
            }
            // The next read of view_state brings the other replica's result.
            case RefreshOutcome.AlreadyFresh fresh -> {
            }
            // A related view is refreshing elsewhere: this run is owed, and tried again shortly.
            case RefreshOutcome.WaitingForRelated waiting -> {
                owe(run.job().trigger(), record.queuedAt());
                deferredUntil = record.finishedAt().plus(RELATED_RETRY);
            }
            case RefreshOutcome.Failed failed -> {
                retryJitter = jitter;
                if (run.stored().isEmpty()) {
                    // Not recorded (PostgreSQL unreachable): count it here, so the backoff holds until
                    // a stored row says otherwise.
                    stored = stored.failedOnceMore(record.finishedAt());
                }
            }
        }
    }

    /**
     * Takes a row read from or answered by PostgreSQL, unless an older copy. Answers the runs it
     * dropped: a paused view keeps nothing waiting.
     */
    List<Ticket> applyStored(ViewState row) {
        if (!row.supersedes(stored)) {
            return List.of();
        }
        stored = row;
        lastStartedAt = ViewState.later(lastStartedAt, row.lastSuccessStartedAt());
        pending = pending.coveredUpTo(row.changesCoveredUpTo());
        runs.coveredUpTo(row.lastSuccessStartedAt());
        Instant cascade = row.owedCascadeSince();
        // A source committed a refresh this view has not caught up with, here or on another replica,
        // before a restart or not: the cascade is owed until a refresh starts after it (a running
        // one that started after it will do).
        if (cascade != null && !row.paused() && !(runs.running() != null && lastStartedAt.isAfter(cascade))) {
            runs.owe(Trigger.DEPENDENCY, cascade);
        }
        return row.paused() ? dropWaiting() : List.of();
    }

    /** New settings for the view (its comment changed). Answers the runs it dropped (it is now disabled). */
    List<Ticket> settings(ViewSettings changed) {
        settings = changed;
        return refusal() != null ? dropWaiting() : List.of();
    }

    /** The view's catalog entry as a scan at {@code seenAt} found it (null: it does not exist). Answers the runs it dropped. */
    List<Ticket> catalog(CatalogView current, Instant seenAt) {
        catalog = current;
        catalogSeenAt = seenAt;
        return refusal() != null ? dropWaiting() : List.of();
    }

    /**
     * After the running run ended: the follow-up becomes the queued run, unless min-interval holds
     * it back (a forced one never is), in which case it is kept as a held-back request and
     * answered dropped to its callers. Answers the ticket dropped, if any.
     */
    Ticket promoteFollowUp(Instant now) {
        return runs.promoteFollowUp(minIntervalUntil(now) != null);
    }

    /** Drops everything waiting; the running run, if any, finishes on its own. */
    List<Ticket> dropWaiting() {
        return runs.dropWaiting();
    }

    /**
     * Takes the due rule's answer: the cause its state is explained by, or the reason it cannot
     * be scheduled. Answers the due time to index, if it has one.
     */
    Optional<DueRule.Due> adopt(DueRule.Answer answer) {
        scheduleError = answer instanceof DueRule.Unschedulable unschedulable ? unschedulable.reason() : null;
        if (scheduleError != null) {
            // One view's broken schedule must not stop the others: it is shown failing instead.
            Log.errorf("view %s: %s; it is not scheduled until this is fixed", id, scheduleError);
        }
        if (answer instanceof DueRule.Due due) {
            dueCause = due.cause();
            return Optional.of(due);
        }
        return Optional.empty();
    }

    /**
     * When the view falls due next, if nothing is queued or running for it (see {@link DueRule});
     * {@link DueRule.Never} while it is busy, missing, disabled or paused.
     */
    DueRule.Answer due(Instant now) {
        if (busy() || refusal() != null) {
            return new DueRule.Never();
        }
        return DueRule.next(new DueRule.Facts(settings, stored, unpopulated(), watchable(), retryJitter, pending, lastStartedAt,
                lastCheckedAt, followUpCheckDue, deferredUntil, runs.owedTrigger(), runs.owedSince()), now);
    }

    /**
     * Whether the view is (as far as is known) not populated: the catalog said so, and no refresh
     * succeeded since that scan, here or on another replica.
     */
    private boolean unpopulated() {
        return !catalog.populated()
                && (stored.lastSuccessAt() == null || catalogSeenAt == null || !stored.lastSuccessAt().isAfter(catalogSeenAt));
    }

    /** The view's picture as of {@code now}; {@code indexedDue}: when it is due while idle. */
    ViewSnapshot snapshot(Instant indexedDue, ViewId waitingFor, Instant now) {
        Instant nextDue = runs.queued() != null ? runs.queued().dueAt() : indexedDue;
        return new ViewSnapshot(settings, catalog, stored, status(), nextDue, runs.waitingRunId(),
                runs.running() == null ? null : runs.running().runId(), scheduleError, now, pending.since(), expectedDuration(),
                targetUnmeetable(), WhyRule.explain(this, nextDue, waitingFor, now));
    }

    ViewStatus status() {
        if (missing()) {
            return ViewStatus.MISSING;
        }
        if (runs.running() != null) {
            return ViewStatus.RUNNING;
        }
        if (runs.queued() != null || runs.held()) {
            return ViewStatus.QUEUED;
        }
        if (stored.paused()) {
            return ViewStatus.PAUSED;
        }
        if (stored.consecutiveFailures() > 0 || scheduleError != null || settings.commentProblem().isPresent()) {
            return ViewStatus.FAILING;
        }
        return ViewStatus.IDLE;
    }
}
