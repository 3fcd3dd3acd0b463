package io.mvrefresh.state;

import java.time.Instant;

/**
 * A view's stored change-detection state, as a refresh transaction reads it after taking the
 * view's lock: what other replicas did is visible here.
 *
 * @param fingerprint the base tables' state at the last successful refresh, or null
 * @param paused paused, possibly by another replica since this one queued the run
 */
public record StoredFreshness(String fingerprint, Instant lastSuccessAt, Instant lastVerifiedAt, boolean paused) {

    public static final StoredFreshness NEVER = new StoredFreshness(null, null, null, false);

    /** When the view was last known to match its base tables, or null. */
    public Instant freshAsOf() {
        return ViewState.later(lastSuccessAt, lastVerifiedAt);
    }
}
