package io.mvrefresh.vocabulary;

import java.util.Locale;

/** What a view is doing, as {@code /admin/views} shows it; the first that applies wins. */
public enum ViewStatus {

    /** Configured but not in PostgreSQL: skipped until it is created. */
    MISSING,
    /** Its refresh is executing. */
    RUNNING,
    /** Due and waiting for a slot, or for a view it reads. */
    QUEUED,
    /** Paused by an operator: nothing refreshes it until it is resumed. */
    PAUSED,
    /** Its last attempt failed; it is retried with backoff. */
    FAILING,
    /** Waiting for its next due time. */
    IDLE;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static java.util.Optional<ViewStatus> parse(String label) {
        for (ViewStatus status : values()) {
            if (status.label().equalsIgnoreCase(label.trim())) {
                return java.util.Optional.of(status);
            }
        }
        return java.util.Optional.empty();
    }

    public static String accepted() {
        return java.util.Arrays.stream(values()).map(ViewStatus::label).collect(java.util.stream.Collectors.joining(", "));
    }
}
