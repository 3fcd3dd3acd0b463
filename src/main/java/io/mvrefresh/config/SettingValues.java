package io.mvrefresh.config;

import io.quarkus.runtime.configuration.DurationConverter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Converts settings from their text, collecting a problem (key, value and what to write instead)
 * for every one that does not convert, so one message lists them all. A bad value converts to the
 * fallback given, which only keeps the remaining checks going.
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
    Duration duration(String key, String text, Duration fallback) {
        try {
            Duration value = DurationConverter.parseDuration(text.trim());
            if (value != null) {
                return value;
            }
        } catch (RuntimeException e) {
            // Reported below, with the key.
        }
        problems.add(key + "=" + text + ": not a duration; write e.g. 500ms, 30s, 5m, 1h or 2d");
        return fallback;
    }

    /** A duration above zero. */
    Duration positiveDuration(String key, String text, Duration fallback) {
        Duration value = duration(key, text, null);
        if (value == null) {
            return fallback;
        }
        if (value.isZero() || value.isNegative()) {
            problems.add(key + "=" + text + ": must be positive");
            return fallback;
        }
        return value;
    }

    /** A duration of zero or more. */
    Duration notNegativeDuration(String key, String text, Duration fallback) {
        Duration value = duration(key, text, null);
        if (value == null) {
            return fallback;
        }
        if (value.isNegative()) {
            problems.add(key + "=" + text + ": must not be negative");
            return fallback;
        }
        return value;
    }

    Optional<Duration> optionalPositiveDuration(String key, Optional<String> text) {
        return text.map(value -> positiveDuration(key, value, null)).filter(value -> value != null);
    }

    /** {@code true} or {@code false}, nothing else: {@code enabled=ture} must not quietly disable a view. */
    boolean bool(String key, String text, boolean fallback) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.equals("true")) {
            return true;
        }
        if (value.equals("false")) {
            return false;
        }
        problems.add(key + "=" + text + ": write true or false");
        return fallback;
    }

    /** A whole number of at least {@code min}. */
    int integer(String key, String text, int min, int fallback) {
        int value;
        try {
            value = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            problems.add(key + "=" + text + ": not a whole number");
            return fallback;
        }
        if (value < min) {
            problems.add(key + "=" + text + ": must be at least " + min);
            return fallback;
        }
        return value;
    }
}
