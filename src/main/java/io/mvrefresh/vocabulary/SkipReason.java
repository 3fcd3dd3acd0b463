package io.mvrefresh.vocabulary;

import java.util.Locale;

/**
 * Why a run executed nothing: {@code refresh_run.skip_reason}, the {@code reason} label of
 * {@code mvrefresh_refresh_skipped_total} and the admin API's {@code skipReason}.
 */
public enum SkipReason {

    /** None of the view's base tables changed since its last successful refresh. */
    UNCHANGED,
    /**
     * Another replica is refreshing the view, or a view it reads, or a view that reads it (their
     * advisory locks are taken).
     */
    LOCKED_ELSEWHERE,
    /** The view is paused. */
    PAUSED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SkipReason fromLabel(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT));
    }
}
