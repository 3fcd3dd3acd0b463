package io.mvrefresh.scheduling;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.refresh.CompletedRun;
import io.mvrefresh.refresh.RefreshOutcome;
import io.mvrefresh.state.RunRecord;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.mvrefresh.vocabulary.ViewStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * What the scheduler knows about one view, and the view's own transitions: idle → queued →
 * running → idle, requests merging into a queued run or becoming the one follow-up of a running
 * one, pauses dropping what waits. Only {@link SchedulingPolicy} holds entries, under its lock.
 */
final class ViewEntry {

    private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
    /** How long a view another replica is refreshing is left alone: by then the holder has stored its result. */
    private static final Duration LOCKED_RETRY = Duration.ofSeconds(15);

    private final ViewId id;
    private final ViewSettings settings;
    private CatalogView catalog;
    /** When the catalog scan that produced {@link #catalog} ran. */
    private Instant catalogSeenAt;
    private ViewState stored;
    private RunRecord lastRun;
    /** How long the last successful refresh took; null before the first. */
    private Duration lastRefreshDuration;
    private Ticket queued;
    private Ticket running;
    private Ticket followUp;
    private Instant deferredUntil;
    private double retryJitter = 1.0;
    private String scheduleError;
    /** The due time under which the entry sits in the policy's due index; null when it is not in it. */
    private Instant indexedDue;
    /** Why it is due at {@link #indexedDue}: the trigger its run is requested with. */
    private Trigger indexedTrigger = Trigger.SCHEDULE;
    /** The first change to what it reads that no refresh has covered yet (its lag counts from it); null when none is known. */
    private Instant changedSince;
    /** The strongest reason among those changes: a source's refresh ({@code dependency}) or a write ({@code schedule}). */
    private Trigger changeTrigger;
    /**
     * Whether a notification announced a change not covered yet. An announced write is known, not
     * inferred: the writer's counters may be published only after the run reads them, so that run
     * must refresh rather than conclude from them that nothing changed.
     */
    private boolean changeAnnounced;
    /** The first change seen while a run of it was in progress: that run may not cover it. */
    private Instant changedDuringRun;
    /** When its last refresh started, here or (as stored) anywhere: {@code min-interval} counts from it. */
    private Instant lastStartedAt;
    /** When a check last found nothing changed: the next check is not before a moment after it. */
    private Instant lastCheckedAt;
    /**
     * Whether the last check that found nothing changed needs a follow-up: true after a check made
     * on schedule, false after the follow-up itself, null after a refresh.
     */
    private Boolean followUpCheckDue;
    /** Durations of its last successful refreshes, newest last: what a refresh of it is expected to take. */
    private final java.util.ArrayDeque<Duration> recentDurations = new java.util.ArrayDeque<>();
    private static final int DURATIONS_KEPT = 20;

    ViewEntry(ViewSettings settings, ViewState stored) {
        this.id = settings.view();
        this.settings = settings;
        this.stored = stored;
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

    RunRecord lastRun() {
        return lastRun;
    }

    Duration lastRefreshDuration() {
        return lastRefreshDuration;
    }

    Ticket queued() {
        return queued;
    }

    Ticket running() {
        return running;
    }

    Instant indexedDue() {
        return indexedDue;
    }

    void indexedDue(Instant due) {
        indexedDue = due;
    }

    Trigger indexedTrigger() {
        return indexedTrigger;
    }

    Instant changedSince() {
        return changedSince;
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
        changeAnnounced |= announced;
        if (changedSince == null || at.isBefore(changedSince)) {
            changedSince = at;
        }
        if (running != null && changedDuringRun == null) {
            changedDuringRun = at;
        }
        changeTrigger = changeTrigger == null ? trigger : changeTrigger.strongest(trigger);
    }

    /** Every change up to {@code covered} is in the view: what is left is what came after. */
    private void coveredUpTo(Instant covered) {
        if (changedSince != null && covered != null && !changedSince.isAfter(covered)) {
            boolean laterOne = changedDuringRun != null && changedDuringRun.isAfter(covered);
            changedSince = laterOne ? changedDuringRun : null;
            changeTrigger = laterOne ? changeTrigger : null;
            changeAnnounced = laterOne && changeAnnounced;
        }
    }

    boolean changeAnnounced() {
        return changeAnnounced;
    }

    /** When a change it has not caught up with must be in it, by its freshness target; null when none. */
    Instant deadline() {
        return changedSince == null ? null : settings.maxStaleness().map(changedSince::plus).orElse(null);
    }

    /**
     * What a refresh of it is expected to take: the 90th percentile of its recent successful
     * refreshes (the slower ones count, not the typical one); null before the first.
     */
    Duration expectedDuration() {
        if (recentDurations.isEmpty()) {
            return null;
        }
        List<Duration> sorted = new ArrayList<>(recentDurations);
        sorted.sort(null);
        return sorted.get((int) Math.ceil(0.9 * sorted.size()) - 1);
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
        return "max-staleness " + io.mvrefresh.config.DurationText.of(settings.maxStaleness().get()) + " cannot be met: min-interval "
                + io.mvrefresh.config.DurationText.of(settings.minInterval()) + " plus a refresh (" + expected.toMillis()
                + " ms, 90th percentile of recent ones) take longer";
    }

    private void learned(Duration took) {
        recentDurations.addLast(took);
        while (recentDurations.size() > DURATIONS_KEPT) {
            recentDurations.removeFirst();
        }
    }

    boolean missing() {
        return catalog == null;
    }

    boolean busy() {
        return queued != null || running != null;
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

    String refusalMessage(Admission.Refusal refusal) {
        return switch (refusal) {
            case MISSING -> "view " + id + " is configured but does not exist in PostgreSQL";
            case DISABLED -> "view " + id + " is disabled (mvrefresh.views.\"" + id + "\".enabled=false)";
            case PAUSED -> "view " + id + " is paused: POST /admin/views/" + id + "/resume first";
            case UNKNOWN, STOPPING -> throw new IllegalArgumentException(refusal.label());
        };
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
        if (running == null) {
            if (queued != null) {
                queued.merge(trigger);
                return new Admission.Accepted(queued, Admission.How.JOINED);
            }
            if (runId.isEmpty()) {
                return new Admission.NeedsRunId();
            }
            queued = new Ticket(runId.getAsLong(), id, trigger, dueAt, now, stored.freshAsOf());
            return new Admission.Accepted(queued, Admission.How.QUEUED);
        }
        if (followUp != null) {
            followUp.merge(trigger);
            return new Admission.Accepted(followUp, Admission.How.FOLLOW_UP);
        }
        if (runId.isEmpty()) {
            return new Admission.NeedsRunId();
        }
        followUp = new Ticket(runId.getAsLong(), id, trigger, now, now, stored.freshAsOf());
        return new Admission.Accepted(followUp, Admission.How.FOLLOW_UP);
    }

    /** The queued run starts at {@code now}. */
    Ticket start(Instant now) {
        running = queued;
        queued = null;
        lastStartedAt = now;
        changedDuringRun = null;
        return running;
    }

    /**
     * The running run ended; {@code run} is null when it ended without an outcome. The follow-up,
     * if any, becomes the queued run. Answers whether {@code ticket} was this entry's running run.
     */
    boolean finish(Ticket ticket, CompletedRun run, double jitter) {
        if (running != ticket) {
            return false;
        }
        running = null;
        if (run != null) {
            apply(run, jitter);
        }
        changedDuringRun = null;
        if (followUp != null) {
            queued = followUp;
            followUp = null;
        }
        return true;
    }

    private void apply(CompletedRun run, double jitter) {
        RunRecord record = run.record();
        run.stored().ifPresent(this::applyStored);
        switch (run.outcome()) {
            case RefreshOutcome.Refreshed refreshed -> {
                lastRun = record;
                lastRefreshDuration = Duration.between(record.startedAt(), record.finishedAt());
                learned(lastRefreshDuration);
                lastStartedAt = ViewState.later(lastStartedAt, record.startedAt());
                coveredUpTo(record.startedAt());
                deferredUntil = null;
                followUpCheckDue = null;
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
                        followUpCheckDue = !Boolean.TRUE.equals(followUpCheckDue);
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
            case RefreshOutcome.Failed failed -> {
                lastRun = record;
                retryJitter = jitter;
                if (run.stored().isEmpty()) {
                    // Not recorded (PostgreSQL unreachable): count it here, so the backoff holds until
                    // a stored row says otherwise.
                    stored = new ViewState(id, stored.lastSuccessAt(), stored.lastVerifiedAt(), record.finishedAt(),
                            stored.consecutiveFailures() + 1, stored.paused(), stored.revision(), stored.skips(), stored.lastSuccessStartedAt());
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
        coveredUpTo(row.changesCoveredUpTo());
        return row.paused() ? dropWaiting() : List.of();
    }

    /** The view's catalog entry as a scan at {@code seenAt} found it (null: it does not exist). Answers the runs it dropped. */
    List<Ticket> catalog(CatalogView current, Instant seenAt) {
        catalog = current;
        catalogSeenAt = seenAt;
        return refusal() != null ? dropWaiting() : List.of();
    }

    /** Drops the queued run and the follow-up; the running run, if any, finishes on its own. */
    List<Ticket> dropWaiting() {
        List<Ticket> dropped = new ArrayList<>(2);
        if (queued != null) {
            dropped.add(queued);
            queued = null;
        }
        if (followUp != null) {
            dropped.add(followUp);
            followUp = null;
        }
        return dropped;
    }

    void invalidated(long runId, long keys) {
        if (lastRun != null && lastRun.id() == runId) {
            lastRun = lastRun.withKeysInvalidated(keys);
        }
    }

    void lastRun(RunRecord run) {
        if (lastRun == null || run.id() > lastRun.id()) {
            lastRun = run;
            if (run.outcome() == io.mvrefresh.vocabulary.Outcome.SUCCESS && run.startedAt() != null) {
                lastRefreshDuration = Duration.between(run.startedAt(), run.finishedAt());
            }
        }
    }

    /**
     * When the view falls due next, if nothing is queued or running for it: at its backoff time
     * while its refreshes are failing (a failed forced refresh is retried too), at once when it is
     * not populated (readers get errors until it is), otherwise when its schedule says; never
     * before a deferral. Null when it is never due (missing, disabled, paused, a schedule that
     * never fires again, or its due time could not be computed).
     */
    Instant nextDue(Instant now) {
        if (busy() || refusal() != null) {
            return null;
        }
        scheduleError = null;
        try {
            indexedTrigger = Trigger.SCHEDULE;
            Instant retryAt = retryAt(now);
            Instant due;
            if (retryAt != null) {
                due = retryAt;
            } else if (unpopulated()) {
                due = now;
            } else {
                due = settings.schedule().nextDue(stored.freshAsOf(), now).orElse(null);
                if (settings.hasTarget() && !watchable()) {
                    // Its result changes without writes (time functions): nothing to watch, so it is
                    // refreshed every max-staleness instead.
                    Instant fresh = stored.freshAsOf();
                    due = earlier(due, fresh == null ? now : fresh.plus(settings.maxStaleness().get()));
                }
                if (due != null && lastCheckedAt != null) {
                    // A check that found nothing changed vouches for the data only up to the
                    // statistics delay before it (a write committed just before it may not be
                    // counted yet), so a check made on schedule is followed by one more that delay
                    // later: skipping adds at most the delay to the schedule. Never sooner than a
                    // period (or that delay) after the check, however short the period.
                    Duration period = settings.schedule().period(now);
                    Duration delay = io.mvrefresh.refresh.RefreshExecutor.STATISTICS_DELAY;
                    Instant earliest = lastCheckedAt.plus(period.compareTo(delay) < 0 ? period : delay);
                    due = Boolean.TRUE.equals(followUpCheckDue) ? earliest : ViewState.later(due, earliest);
                }
                if (settings.hasTarget() && changedSince != null) {
                    Instant changeDue = changedSince;
                    if (due == null || changeDue.isBefore(due)) {
                        due = changeDue;
                        indexedTrigger = changeTrigger == null ? Trigger.SCHEDULE : changeTrigger;
                    }
                }
            }
            if (due != null && lastStartedAt != null && settings.minInterval().isPositive()) {
                // Two refreshes never start closer together than min-interval: bursts of writes make one refresh.
                due = ViewState.later(due, lastStartedAt.plus(settings.minInterval()));
            }
            return due == null ? null : ViewState.later(due, deferredUntil);
        } catch (RuntimeException e) {
            scheduleError = "its due time could not be computed: " + e;
            throw e;
        }
    }

    private static Instant earlier(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isBefore(b) ? a : b;
    }

    /**
     * Whether the view is (as far as is known) not populated: the catalog said so, and no refresh
     * succeeded since that scan, here or on another replica.
     */
    private boolean unpopulated() {
        return !catalog.populated() && (stored.lastSuccessAt() == null || catalogSeenAt == null
                || !stored.lastSuccessAt().isAfter(catalogSeenAt));
    }

    /**
     * Exponential backoff from 5 s, doubling per consecutive failure, capped at the schedule's
     * period so a failing view is tried at least as often as it would be refreshed.
     */
    private Instant retryAt(Instant now) {
        if (stored.consecutiveFailures() == 0 || stored.lastAttemptAt() == null) {
            return null;
        }
        Duration cap = settings.schedule().period(now);
        int doublings = Math.min(stored.consecutiveFailures() - 1, 30);
        Duration backoff = FIRST_RETRY.multipliedBy(1L << doublings);
        if (backoff.compareTo(cap) > 0) {
            backoff = cap;
        }
        return stored.lastAttemptAt().plusMillis((long) (backoff.toMillis() * retryJitter));
    }

    String scheduleError() {
        return scheduleError;
    }

    ViewStatus status() {
        if (missing()) {
            return ViewStatus.MISSING;
        }
        if (running != null) {
            return ViewStatus.RUNNING;
        }
        if (queued != null) {
            return ViewStatus.QUEUED;
        }
        if (stored.paused()) {
            return ViewStatus.PAUSED;
        }
        if (stored.consecutiveFailures() > 0 || scheduleError != null) {
            return ViewStatus.FAILING;
        }
        return ViewStatus.IDLE;
    }
}
