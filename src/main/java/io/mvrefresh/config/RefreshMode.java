package io.mvrefresh.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** How a view asks to be refreshed; what actually runs is decided per refresh. */
public enum RefreshMode {

    /** CONCURRENTLY when the view is populated and has a usable unique index, otherwise plain. */
    AUTO,
    /** Always CONCURRENTLY; a view that is not eligible fails the run with the reason. */
    CONCURRENT,
    /** Always a plain (ACCESS EXCLUSIVE) refresh. */
    BLOCKING;

    /** The lower-case name used in configuration and the admin API. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a configuration value, case-insensitively. */
    public static Optional<RefreshMode> parse(String value) {
        return Arrays.stream(values()).filter(m -> m.label().equalsIgnoreCase(value.trim())).findFirst();
    }

    /** The accepted values for error messages. */
    public static String accepted() {
        return Arrays.stream(values()).map(RefreshMode::label).collect(Collectors.joining(", "));
    }
}
