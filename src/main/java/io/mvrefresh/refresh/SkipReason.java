package io.mvrefresh.refresh;

import java.util.Locale;

/** Why a run executed nothing; the {@code reason} label of {@code mvrefresh_refresh_skipped_total}. */
public enum SkipReason {
    /** None of the view's base tables changed since its last successful refresh. */
    UNCHANGED,
    /** Another replica holds the view's advisory lock, so it is refreshing it right now. */
    LOCKED_ELSEWHERE,
    /** The view is paused. */
    PAUSED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
