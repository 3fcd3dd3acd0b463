package io.mvrefresh.scheduling;

import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.refresh.RefreshExecutor;
import io.mvrefresh.retry.Backoff;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.vocabulary.Trigger;
import java.time.Duration;
import java.time.Instant;

/**
 * When an idle view falls due next, as a pure function of what is known about it: no side
 * effects, no clock. The rules are in {@code scheduling/DESIGN.md} ("When a view is due").
 */
final class DueRule {

    /** Refresh retries: from 5 s, doubling per consecutive failure, capped at the view's period. */
    static final Backoff RETRY = new Backoff(Duration.ofSeconds(5), Duration.ofDays(3650));

    /** What the rule answers. */
    sealed interface Answer {
    }

    /** Due at {@code at}, to be requested with {@code trigger}; {@code cause} is the rule that set the time. */
    record Due(Instant at, Trigger trigger, Cause cause) implements Answer {
    }

    /** Which rule set a due time: what {@code why} tells an operator. */
    enum Cause {
        /** Its interval or cron schedule (or the target period of a view that cannot be watched). */
        SCHEDULE,
        /** The backoff after failed refreshes. */
        RETRY,
        /** Not populated: due at once. */
        UNPOPULATED,
        /** A change it has not caught up with, within its freshness target. */
        CHANGE,
        /** A request (a source's refresh, a follow-up) that min-interval held back. */
        REQUEST,
        /** The follow-up after a check that found nothing changed. */
        CHECK,
        /** {@code min-interval} after its last start. */
        MIN_INTERVAL,
        /** Another replica holds its lock. */
        LOCKED_ELSEWHERE
    }

    /** Never due on its own (a schedule that never fires again, no change to catch up with). */
    record Never() implements Answer {
    }

    /** Its due time cannot be computed; {@code reason} says why. The view is shown failing. */
    record Unschedulable(String reason) implements Answer {
    }

    /**
     * What the rule looks at.
     *
     * @param unpopulated the view is (as far as is known) not populated: readers get errors until it is
     * @param watchable changes to what it reads can be detected from write counters
     * @param retryJitter the jitter factor drawn when its last failure was recorded
     * @param pending changes it has not caught up with
     * @param lastStartedAt when its last refresh started, here or anywhere: {@code min-interval} counts from it
     * @param lastCheckedAt when a check last found nothing changed, or null
     * @param followUpCheckDue whether that check was made on schedule and needs one more after the statistics delay
     * @param deferredUntil not before this (another replica holds its lock), or null
     * @param owedTrigger a request min-interval held back (a cascade, a follow-up), or null
     * @param owedSince when that request was made
     */
    record Facts(ViewSettings settings, ViewState stored, boolean unpopulated, boolean watchable, double retryJitter,
            PendingChange pending, Instant lastStartedAt, Instant lastCheckedAt, boolean followUpCheckDue,
            Instant deferredUntil, Trigger owedTrigger, Instant owedSince) {

        /** Facts without a held-back request. */
        Facts(ViewSettings settings, ViewState stored, boolean unpopulated, boolean watchable, double retryJitter,
                PendingChange pending, Instant lastStartedAt, Instant lastCheckedAt, boolean followUpCheckDue,
                Instant deferredUntil) {
            this(settings, stored, unpopulated, watchable, retryJitter, pending, lastStartedAt, lastCheckedAt, followUpCheckDue,
                    deferredUntil, null, null);
        }
    }

    private DueRule() {
    }

    static Answer next(Facts facts, Instant now) {
        try {
            return compute(facts, now);
        } catch (RuntimeException e) {
            return new Unschedulable("its due time could not be computed: " + e);
        }
    }

    private static Answer compute(Facts facts, Instant now) {
        ViewSettings settings = facts.settings();
        Trigger trigger = Trigger.SCHEDULE;
        Cause cause = Cause.RETRY;
        Instant due = retryAt(facts, now);
        if (due == null && facts.unpopulated()) {
            due = now;
            cause = Cause.UNPOPULATED;
        } else if (due == null) {
            cause = Cause.SCHEDULE;
            due = settings.schedule().nextDue(facts.stored().freshAsOf(), now).orElse(null);
            if (settings.hasTarget() && !facts.watchable()) {
                // Its result changes without writes (time functions): nothing to watch, so it is
                // refreshed every max-staleness instead.
                Instant fresh = facts.stored().freshAsOf();
                due = earlier(due, fresh == null ? now : fresh.plus(settings.maxStaleness().get()));
            }
            if (due != null && facts.lastCheckedAt() != null) {
                // A check that found nothing changed vouches for the data only up to the statistics
                // delay before it (a write committed just before it may not be counted yet), so a
                // check made on schedule is followed by one more that delay later: skipping adds at
                // most the delay to the schedule. Never sooner than a period (or that delay) after
                // the check, however short the period.
                Duration period = settings.schedule().period(now);
                Duration delay = RefreshExecutor.STATISTICS_DELAY;
                Instant earliest = facts.lastCheckedAt().plus(period.compareTo(delay) < 0 ? period : delay);
                Instant checked = facts.followUpCheckDue() ? earliest : ViewState.later(due, earliest);
                cause = checked.equals(due) ? cause : Cause.CHECK;
                due = checked;
            }
            PendingChange pending = facts.pending();
            if (settings.hasTarget() && pending.pending() && (due == null || pending.since().isBefore(due))) {
                due = pending.since();
                trigger = pending.trigger() == null ? Trigger.SCHEDULE : pending.trigger();
                cause = Cause.CHANGE;
            }
            if (facts.owedTrigger() != null && (due == null || facts.owedSince().isBefore(due))) {
                due = facts.owedSince();
                trigger = facts.owedTrigger();
                cause = Cause.REQUEST;
            }
        }
        if (cause == Cause.RETRY || cause == Cause.UNPOPULATED) {
            // A held-back request waits for the retry (or joins the first refresh) but keeps its reason.
            trigger = facts.owedTrigger() != null ? facts.owedTrigger() : trigger;
        }
        Instant allowed = due == null ? null : minIntervalEnd(settings, facts.lastStartedAt());
        if (allowed != null && allowed.isAfter(due)) {
            due = allowed;
            cause = Cause.MIN_INTERVAL;
        }
        if (due != null && facts.deferredUntil() != null && facts.deferredUntil().isAfter(due)) {
            due = facts.deferredUntil();
            cause = Cause.LOCKED_ELSEWHERE;
        }
        return due == null ? new Never() : new Due(due, trigger, cause);
    }

    /**
     * The earliest start {@code min-interval} allows after a refresh that started at
     * {@code lastStartedAt}: two refreshes never start closer together, so bursts of writes make one
     * refresh. Null when there is no bound.
     */
    static Instant minIntervalEnd(ViewSettings settings, Instant lastStartedAt) {
        return lastStartedAt == null || !settings.minInterval().isPositive() ? null : lastStartedAt.plus(settings.minInterval());
    }

    /** While its refreshes fail: the backoff after the last attempt, capped at the schedule's period. */
    private static Instant retryAt(Facts facts, Instant now) {
        ViewState stored = facts.stored();
        if (stored.consecutiveFailures() == 0 || stored.lastAttemptAt() == null) {
            return null;
        }
        Duration cap = facts.settings().schedule().period(now);
        return stored.lastAttemptAt().plus(RETRY.delay(stored.consecutiveFailures(), cap, facts.retryJitter()));
    }

    private static Instant earlier(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isBefore(b) ? a : b;
    }
}
