package io.mvrefresh.state;

import io.mvrefresh.vocabulary.ViewId;
import java.time.Instant;

/**
 * A view's row in {@code mvrefresh.view_state}: what replicas and restarts agree on. Only
 * PostgreSQL writes it; mvrefresh keeps the newest row it has seen (every write answers with the
 * row it left, and {@link #revision} orders them).
 *
 * @param lastVerifiedAt when the view was last known to match its base tables: its last
 *     successful refresh, or a later check that found none of them changed
 * @param revision grows with every write of the row, so an older copy never replaces a newer one
 * @param skips runs that executed nothing, counted by reason
 * @param lastSuccessStartedAt when the last successful refresh started: every write committed
 *     before then is in the view
 * @param cascadeOwedAt when a source last committed a refresh that made this view due (see
 *     {@link #owedCascadeSince()}), or null
 */
public record ViewState(ViewId view, Instant lastSuccessAt, Instant lastVerifiedAt, Instant lastAttemptAt,
        int consecutiveFailures, boolean paused, long revision, SkipCounts skips, Instant lastSuccessStartedAt,
        Instant cascadeOwedAt) {

    public ViewState {
        skips = skips == null ? SkipCounts.NONE : skips;
    }

    /** A row that owes no cascade. */
    public ViewState(ViewId view, Instant lastSuccessAt, Instant lastVerifiedAt, Instant lastAttemptAt, int consecutiveFailures,
            boolean paused, long revision, SkipCounts skips, Instant lastSuccessStartedAt) {
        this(view, lastSuccessAt, lastVerifiedAt, lastAttemptAt, consecutiveFailures, paused, revision, skips,
                lastSuccessStartedAt, null);
    }

    /** A row with no skips counted. */
    public ViewState(ViewId view, Instant lastSuccessAt, Instant lastVerifiedAt, Instant lastAttemptAt, int consecutiveFailures,
            boolean paused, long revision) {
        this(view, lastSuccessAt, lastVerifiedAt, lastAttemptAt, consecutiveFailures, paused, revision, SkipCounts.NONE,
                lastSuccessAt);
    }

    /**
     * When a source of the view committed a refresh that no refresh of the view has caught up with
     * (one started after it); null when none is owed. Written with the source's refresh, so any
     * replica, and a restart, finds what the cascade still owes.
     */
    public Instant owedCascadeSince() {
        return cascadeOwedAt != null && (lastSuccessStartedAt == null || cascadeOwedAt.isAfter(lastSuccessStartedAt))
                ? cascadeOwedAt
                : null;
    }

    /** A view with no row yet: never refreshed, never paused. */
    public static ViewState initial(ViewId view) {
        return new ViewState(view, null, null, null, 0, false, 0);
    }

    /**
     * This row with one more failed attempt at {@code attemptAt}, for a failure that could not be
     * recorded (PostgreSQL unreachable): its backoff holds until a stored row says otherwise.
     */
    public ViewState failedOnceMore(Instant attemptAt) {
        return new ViewState(
                view,
                lastSuccessAt,
                lastVerifiedAt,
                attemptAt,
                consecutiveFailures + 1,
                paused,
                revision,
                skips,
                lastSuccessStartedAt,
                cascadeOwedAt);
    }

    /** The instant the view's contents were last known to be current: what due times and staleness count from. */
    public Instant freshAsOf() {
        return later(lastSuccessAt, lastVerifiedAt);
    }

    /**
     * Up to when every committed write to what the view reads is known to be in it: the start of
     * its last successful refresh, or a later check that found nothing changed.
     */
    public Instant changesCoveredUpTo() {
        Instant checked = lastVerifiedAt != null && (lastSuccessAt == null || lastVerifiedAt.isAfter(lastSuccessAt))
                ? lastVerifiedAt
                : null;
        return later(lastSuccessStartedAt, checked);
    }

    /** Whether this row is at least as new as {@code other}, so it may replace it. */
    public boolean supersedes(ViewState other) {
        return other == null || revision >= other.revision;
    }

    /** The later of two instants, either of which may be null. */
    public static Instant later(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }
}
