package io.mvrefresh.state;

import io.mvrefresh.catalog.ViewId;
import java.time.Instant;

/**
 * A view's row in {@code mvrefresh.view_state}: what replicas and restarts agree on.
 *
 * @param lastVerifiedAt when the view was last known to match its base tables: its last
 *     successful refresh, or a later check that found none of them changed
 */
public record ViewState(ViewId view, Instant lastSuccessAt, Instant lastVerifiedAt, Instant lastAttemptAt,
        int consecutiveFailures, boolean paused) {

    public static ViewState initial(ViewId view) {
        return new ViewState(view, null, null, null, 0, false);
    }

    /** The instant the view's contents were last known to be current: what due times and staleness count from. */
    public Instant freshAsOf() {
        return later(lastSuccessAt, lastVerifiedAt);
    }

    /** The later of two instants, either of which may be null. */
    public static Instant later(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }
}
