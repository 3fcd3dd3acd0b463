package io.mvrefresh.config;

import io.quarkus.runtime.configuration.DurationConverter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Converts settings from their text, collecting a problem (key, value and what to write instead)
 * for every one that does not convert, so one message lists them all. A bad value converts to a
 * placeholder (null, false, the minimum) that only keeps the remaining checks going: the
 * configuration is refused as soon as they are done. Defaults are the mapping's
 * ({@link MvRefreshConfig}), never repeated here.
 */
final class SettingValues {

    private final List<String> problems = new ArrayList<>();

    void problem(String problem) {
        problems.add(problem);
    }

    List<String> problems() {
        return problems;
    }

    /** A duration such as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 2d} or ISO-8601 {@code PT5M}. */
    Duration duration(String key, String text) {
        try {
            Duration value = DurationConverter.parseDuration(text.trim());
            if (value != null) {
                return value;
            }
        } catch (RuntimeException e) {
            // Reported below, with the key.
        }
        problems.add(key + "=" + text + ": not a duration; write e.g. 500ms, 30s, 5m, 1h or 2d");
        return null;
    }

    /** A duration above zero; null when it is not one. */
    Duration positiveDuration(String key, String text) {
        Duration value = duration(key, text);
        if (value != null && (value.isZero() || value.isNegative())) {
            problems.add(key + "=" + text + ": must be positive");
            return null;
        }
        return value;
    }

    /** A duration of zero or more; null when it is not one. */
    Duration notNegativeDuration(String key, String text) {
        Duration value = duration(key, text);
        if (value != null && value.isNegative()) {
            problems.add(key + "=" + text + ": must not be negative");
            return null;
        }
        return value;
    }

    Optional<Duration> optionalPositiveDuration(String key, Optional<String> text) {
        return text.map(value -> positiveDuration(key, value));
    }

    /** {@code true} or {@code false}, nothing else: {@code enabled=ture} must not quietly disable a view. */
    boolean bool(String key, String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.equals("true")) {
            return true;
        }
        if (value.equals("false")) {
            return false;
        }
        problems.add(key + "=" + text + ": write true or false");
        return false;
    }

    /** A whole number of at least {@code min}; {@code min} when it is not one. */
    int integer(String key, String text, int min) {
        int value;
        try {
            value = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            problems.add(key + "=" + text + ": not a whole number");
            return min;
        }
        if (value < min) {
            problems.add(key + "=" + text + ": must be at least " + min);
            return min;
        }
        return value;
    }
}
