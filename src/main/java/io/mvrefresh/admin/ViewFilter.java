package io.mvrefresh.admin;

import io.mvrefresh.scheduling.ViewSnapshot;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.ViewStatus;
import java.util.Optional;

/** The filter and page of {@code GET /admin/views}. */
record ViewFilter(Optional<ViewStatus> status, Optional<Priority> priority, Optional<String> prefix, int limit, int offset) {

    static final int DEFAULT_LIMIT = 500;
    static final int MAX_LIMIT = 5000;

    /** Parses the query; throws IllegalArgumentException naming the bad parameter. */
    static ViewFilter parse(String status, String priority, String prefix, String limit, String offset) {
        Optional<ViewStatus> byStatus = Optional.empty();
        if (status != null && !status.isBlank()) {
            byStatus = ViewStatus.parse(status);
            if (byStatus.isEmpty()) {
                throw new IllegalArgumentException("status=" + status + " is not a status: use one of " + ViewStatus.accepted());
            }
        }
        Optional<Priority> byPriority = Optional.empty();
        if (priority != null && !priority.isBlank()) {
            byPriority = Priority.parse(priority);
            if (byPriority.isEmpty()) {
                throw new IllegalArgumentException(
                        "priority=" + priority + " is not a priority: use one of " + Priority.accepted());
            }
        }
        return new ViewFilter(byStatus, byPriority, Optional.ofNullable(prefix).filter(p -> !p.isEmpty()),
                number("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT), number("offset", offset, 0, 0, Integer.MAX_VALUE));
    }

    private static int number(String name, String text, int fallback, int min, int max) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(text.trim());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw new IllegalArgumentException(name + "=" + text + " must be a whole number from " + min + " to " + max);
    }

    boolean matches(ViewSnapshot view) {
        return status.map(wanted -> view.status() == wanted).orElse(true)
                && priority.map(wanted -> view.settings().priority() == wanted).orElse(true)
                && prefix.map(wanted -> view.settings().view().toString().startsWith(wanted)).orElse(true);
    }
}
