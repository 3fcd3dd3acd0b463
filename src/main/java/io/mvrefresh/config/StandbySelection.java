package io.mvrefresh.config;

import io.mvrefresh.vocabulary.Glob;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code mvrefresh.invalidation.replicas}: which physical standbys a cache invalidation waits for.
 * {@code all} (every one the primary lists), {@code off} (none: invalidate right after the commit),
 * or a comma list of globs matched against each standby's {@code application_name}.
 */
public record StandbySelection(boolean enabled, List<Glob> globs) {

    public static final StandbySelection ALL = new StandbySelection(true, List.of());
    public static final StandbySelection OFF = new StandbySelection(false, List.of());

    /** Reads the setting's text; empty when it names no standby at all (an empty glob). */
    static Optional<StandbySelection> parse(String text) {
        String trimmed = text.trim();
        if (trimmed.equalsIgnoreCase("all")) {
            return Optional.of(ALL);
        }
        if (trimmed.equalsIgnoreCase("off")) {
            return Optional.of(OFF);
        }
        List<String> globs = Arrays.stream(trimmed.split(",", -1)).map(String::trim).toList();
        if (globs.stream().anyMatch(String::isEmpty)) {
            return Optional.empty();
        }
        return Optional.of(new StandbySelection(true, globs.stream().map(Glob::new).toList()));
    }

    /** Whether an invalidation waits for the standby named {@code applicationName}. */
    public boolean selects(String applicationName) {
        return enabled && (globs.isEmpty() || globs.stream().anyMatch(glob -> glob.matches(applicationName)));
    }

    @Override
    public String toString() {
        return !enabled ? "off" : globs.isEmpty() ? "all" : String.join(",", globs.stream().map(Glob::text).toList());
    }
}
