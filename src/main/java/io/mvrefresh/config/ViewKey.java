package io.mvrefresh.config;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The per-view settings: the one place their names are written, each with how to read it from a
 * view's overrides. The defaults ({@code mvrefresh.defaults.}), a view's properties
 * ({@code mvrefresh.views."<view>".}), its comment, the setting sources and every error message
 * take their names from here; {@code ConfigKeysTest} keeps them equal to the mapping's own.
 */
enum ViewKey {

    INTERVAL("interval", MvRefreshConfig.ViewOverrides::interval), CRON("cron",
            MvRefreshConfig.ViewOverrides::cron), CRON_TIMEZONE("cron-timezone",
                    MvRefreshConfig.ViewOverrides::cronTimezone), PRIORITY("priority",
                            MvRefreshConfig.ViewOverrides::priority), MODE("mode", MvRefreshConfig.ViewOverrides::mode), TIMEOUT(
                                    "timeout", MvRefreshConfig.ViewOverrides::timeout), LOCK_TIMEOUT("lock-timeout",
                                            MvRefreshConfig.ViewOverrides::lockTimeout), SKIP_UNCHANGED("skip-unchanged",
                                                    MvRefreshConfig.ViewOverrides::skipUnchanged), ENABLED("enabled",
                                                            MvRefreshConfig.ViewOverrides::enabled), MAX_STALENESS(
                                                                    "max-staleness",
                                                                    MvRefreshConfig.ViewOverrides::maxStaleness), MIN_INTERVAL(
                                                                            "min-interval",
                                                                            MvRefreshConfig.ViewOverrides::minInterval), AFTER_SQL(
                                                                                    "after-sql",
                                                                                    MvRefreshConfig.ViewOverrides::afterSql), DEPENDS_ON(
                                                                                            "depends-on",
                                                                                            MvRefreshConfig.ViewOverrides::dependsOn), INVALIDATE_PATTERNS(
                                                                                                    "invalidate.patterns",
                                                                                                    overrides -> overrides
                                                                                                            .invalidate()
                                                                                                            .patterns()), INVALIDATE_TAGS(
                                                                                                                    "invalidate.tags",
                                                                                                                    overrides -> overrides
                                                                                                                            .invalidate()
                                                                                                                            .tags()), INVALIDATE_GENERATION_KEY(
                                                                                                                                    "invalidate.generation-key",
                                                                                                                                    overrides -> overrides
                                                                                                                                            .invalidate()
                                                                                                                                            .generationKey());

    private static final List<String> NAMES = Arrays.stream(values()).map(ViewKey::key).toList();

    private final String key;
    private final Function<MvRefreshConfig.ViewOverrides, Optional<?>> reader;

    ViewKey(String key, Function<MvRefreshConfig.ViewOverrides, Optional<?>> reader) {
        this.key = key;
        this.reader = reader;
    }

    /** The key's name below a view's (or the defaults') prefix. */
    String key() {
        return key;
    }

    /** The full name under {@code prefix} ({@code mvrefresh.defaults.}, a view's, or none for a comment). */
    String under(String prefix) {
        return prefix + key;
    }

    /** What {@code overrides} sets for this key. */
    Optional<?> in(MvRefreshConfig.ViewOverrides overrides) {
        return reader.apply(overrides);
    }

    /** Whether only trusted configuration may set it: SQL run with mvrefresh's own privileges. */
    boolean propertiesOnly() {
        return this == AFTER_SQL;
    }

    /** A schedule is set by one of these, taken as a whole. */
    boolean schedule() {
        return this == INTERVAL || this == CRON;
    }

    static Optional<ViewKey> named(String key) {
        return Arrays.stream(values()).filter(candidate -> candidate.key.equals(key)).findFirst();
    }

    /** Every per-view key's name, in the order the README lists them. */
    static List<String> names() {
        return NAMES;
    }

    /** The names of the keys {@code overrides} sets. */
    static Set<String> setIn(MvRefreshConfig.ViewOverrides overrides) {
        Set<String> set = new TreeSet<>();
        for (ViewKey key : values()) {
            if (key.in(overrides).isPresent()) {
                set.add(key.key);
            }
        }
        return set;
    }
}
