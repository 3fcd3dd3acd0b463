package io.mvrefresh.vocabulary;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** How urgently a view is refreshed when more are due than may run at once. */
public enum Priority {

    LOW, MEDIUM, HIGH, CRITICAL;

    /** The lower-case name used in configuration, metrics and the admin API. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a configuration or request value, case-insensitively. */
    public static Optional<Priority> parse(String value) {
        return Arrays.stream(values()).filter(p -> p.label().equalsIgnoreCase(value.trim())).findFirst();
    }

    /** The accepted values, highest first, for error messages. */
    public static String accepted() {
        Priority[] ascending = values();
        return IntStream.range(0, ascending.length)
                .mapToObj(i -> ascending[ascending.length - 1 - i].label())
                .collect(Collectors.joining(", "));
    }
}
