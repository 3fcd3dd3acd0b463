package io.mvrefresh.vocabulary;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

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

    public static Optional<ViewStatus> parse(String label) {
        for (ViewStatus status : values()) {
            if (status.label().equalsIgnoreCase(label.trim())) {
                return Optional.of(status);
            }
        }
        return Optional.empty();
    }

    public static String accepted() {
        return Arrays.stream(values()).map(ViewStatus::label).collect(Collectors.joining(", "));
    }
}
