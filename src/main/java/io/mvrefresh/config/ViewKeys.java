package io.mvrefresh.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The per-view settings by name, each with how to read it from a view's overrides: what the
 * comment parser and the setting sources take their names from ({@code ConfigKeysTest} keeps it
 * equal to the mapping's own list).
 */
final class ViewKeys {

    /** Every per-view key, in the order the README lists them. */
    static final Map<String, Function<MvRefreshConfig.ViewOverrides, Optional<?>>> READERS = readers();

    /** Keys a comment may not set: SQL run with mvrefresh's own privileges belongs to trusted configuration. */
    static final Set<String> PROPERTIES_ONLY = Set.of("after-sql");

    private ViewKeys() {
    }

    static List<String> all() {
        return List.copyOf(READERS.keySet());
    }

    /** The keys {@code overrides} sets. */
    static Set<String> setIn(MvRefreshConfig.ViewOverrides overrides) {
        Set<String> set = new TreeSet<>();
        READERS.forEach((key, reader) -> {
            if (reader.apply(overrides).isPresent()) {
                set.add(key);
            }
        });
        return set;
    }

    private static Map<String, Function<MvRefreshConfig.ViewOverrides, Optional<?>>> readers() {
        Map<String, Function<MvRefreshConfig.ViewOverrides, Optional<?>>> readers = new LinkedHashMap<>();
        readers.put("interval", MvRefreshConfig.ViewOverrides::interval);
        readers.put("cron", MvRefreshConfig.ViewOverrides::cron);
        readers.put("cron-timezone", MvRefreshConfig.ViewOverrides::cronTimezone);
        readers.put("priority", MvRefreshConfig.ViewOverrides::priority);
        readers.put("mode", MvRefreshConfig.ViewOverrides::mode);
        readers.put("timeout", MvRefreshConfig.ViewOverrides::timeout);
        readers.put("lock-timeout", MvRefreshConfig.ViewOverrides::lockTimeout);
        readers.put("skip-unchanged", MvRefreshConfig.ViewOverrides::skipUnchanged);
        readers.put("enabled", MvRefreshConfig.ViewOverrides::enabled);
        readers.put("max-staleness", MvRefreshConfig.ViewOverrides::maxStaleness);
        readers.put("min-interval", MvRefreshConfig.ViewOverrides::minInterval);
        readers.put("after-sql", MvRefreshConfig.ViewOverrides::afterSql);
        readers.put("depends-on", MvRefreshConfig.ViewOverrides::dependsOn);
        readers.put("invalidate.patterns", overrides -> overrides.invalidate().patterns());
        readers.put("invalidate.tags", overrides -> overrides.invalidate().tags());
        readers.put("invalidate.generation-key", overrides -> overrides.invalidate().generationKey());
        return Collections.unmodifiableMap(readers);
    }
}
