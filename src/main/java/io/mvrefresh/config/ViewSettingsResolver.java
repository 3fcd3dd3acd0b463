package io.mvrefresh.config;

import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Validates the whole {@code mvrefresh.*} configuration once and answers the settings in effect
 * for any view. Every problem is collected first so one restart fixes them all.
 */
public final class ViewSettingsResolver {

    private static final Schedule DEFAULT_SCHEDULE = new Schedule.Every(Duration.ofMinutes(15));

    private final ResolvedDefaults defaults;
    private final Map<ViewId, ViewSettings> configured;

    private ViewSettingsResolver(ResolvedDefaults defaults, Map<ViewId, ViewSettings> configured) {
        this.defaults = defaults;
        this.configured = configured;
    }

    /** Validates {@code config}; throws {@link InvalidConfigurationException} naming every bad key. */
    public static ViewSettingsResolver validate(MvRefreshConfig config) {
        return validate(config, java.time.Instant.now());
    }

    /**
     * Validates {@code config} as of {@code now} (a cron expression must still fire after it);
     * throws {@link InvalidConfigurationException} naming every bad key.
     */
    public static ViewSettingsResolver validate(MvRefreshConfig config, java.time.Instant now) {
        List<String> problems = new ArrayList<>();
        if (config.concurrency() < 1) {
            problems.add("mvrefresh.concurrency=" + config.concurrency() + ": must be at least 1");
        }
        requirePositive(problems, "mvrefresh.scheduler.aging", config.scheduler().aging());
        requirePositive(problems, "mvrefresh.scheduler.poll-interval", config.scheduler().pollInterval());
        requirePositive(problems, "mvrefresh.discovery.rescan-interval", config.discovery().rescanInterval());
        if (config.health().livenessTimeout().compareTo(config.scheduler().pollInterval().multipliedBy(3)) < 0) {
            problems.add("mvrefresh.health.liveness-timeout=" + DurationText.of(config.health().livenessTimeout())
                    + ": must be at least three poll intervals (mvrefresh.scheduler.poll-interval="
                    + DurationText.of(config.scheduler().pollInterval()) + ")");
        }
        requireNotNegative(problems, "mvrefresh.shutdown.grace", config.shutdown().grace());
        requirePositive(problems, "mvrefresh.history.retention", config.history().retention());
        if (config.invalidation().scanCount() < 1) {
            problems.add("mvrefresh.invalidation.scan-count=" + config.invalidation().scanCount() + ": must be at least 1");
        }
        if (config.invalidation().queueCapacity() < 1) {
            problems.add("mvrefresh.invalidation.queue-capacity=" + config.invalidation().queueCapacity() + ": must be at least 1");
        }
        requirePositive(problems, "mvrefresh.invalidation.command-timeout", config.invalidation().commandTimeout());
        if (config.discovery().schemas().stream().anyMatch(String::isBlank)) {
            problems.add("mvrefresh.discovery.schemas=" + config.discovery().schemas() + ": contains an empty schema name");
        }

        MvRefreshConfig.ViewDefaults raw = config.defaults();
        String prefix = "mvrefresh.defaults.";
        ZoneId defaultZone = zone(problems, prefix, raw.cronTimezone(), ZoneOffset.UTC);
        ResolvedDefaults defaults = new ResolvedDefaults(
                schedule(problems, prefix, raw.interval(), raw.cron(), defaultZone, DEFAULT_SCHEDULE, now),
                defaultZone,
                parse(problems, prefix + "priority", raw.priority(), Priority::parse, Priority.accepted(), Priority.MEDIUM),
                parse(problems, prefix + "mode", raw.mode(), RefreshMode::parse, RefreshMode.accepted(), RefreshMode.AUTO),
                positive(problems, prefix + "timeout", raw.timeout()),
                positive(problems, prefix + "lock-timeout", raw.lockTimeout()),
                raw.skipUnchanged(),
                raw.enabled());

        Map<ViewId, ViewSettings> configured = new TreeMap<>();
        config.views().forEach((key, overrides) -> {
            String viewPrefix = "mvrefresh.views.\"" + key + "\".";
            Optional<ViewId> view = ViewId.parse(key);
            if (view.isEmpty()) {
                problems.add("mvrefresh.views.\"" + key + "\": not a view name: " + ViewId.namingHint()
                        + " (e.g. mvrefresh.views.\"public." + key + "\")");
                return;
            }
            if (configured.containsKey(view.get())) {
                problems.add("mvrefresh.views.\"" + key + "\": names " + view.get() + " again; configure each view once");
                return;
            }
            configured.put(view.get(), resolve(problems, viewPrefix, view.get(), overrides, defaults, now));
        });

        dependsOnCycle(configured).ifPresent(cycle -> problems.add("depends-on forms a cycle: "
                + String.join(" -> ", cycle.stream().map(ViewId::toString).toList())
                + "; a view cannot (indirectly) depend on itself, remove one of these depends-on entries"));

        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(problems);
        }
        return new ViewSettingsResolver(defaults, Map.copyOf(configured));
    }

    /** The views named under {@code mvrefresh.views}, with their settings. */
    public Map<ViewId, ViewSettings> configuredViews() {
        return configured;
    }

    /** Settings for any view: its own when configured, otherwise the defaults. */
    public ViewSettings settingsFor(ViewId view) {
        ViewSettings own = configured.get(view);
        if (own != null) {
            return own;
        }
        return new ViewSettings(view, defaults.schedule(), defaults.priority(), defaults.mode(), defaults.timeout(),
                defaults.lockTimeout(), defaults.skipUnchanged(), Set.of(), InvalidationRules.NONE, defaults.enabled(), false);
    }

    private static ViewSettings resolve(List<String> problems, String prefix, ViewId view,
            MvRefreshConfig.ViewOverrides overrides, ResolvedDefaults defaults, java.time.Instant now) {
        ZoneId zone = overrides.cronTimezone().map(z -> zone(problems, prefix, z, defaults.cronZone())).orElse(defaults.cronZone());
        Schedule inherited = defaults.schedule();
        if (overrides.cron().isEmpty() && overrides.interval().isEmpty() && inherited instanceof Schedule.CronSchedule cron
                && !cron.zone().equals(zone)) {
            inherited = Schedule.CronSchedule.parse(cron.expression(), zone, now);
        }
        Schedule schedule = schedule(problems, prefix, overrides.interval(), overrides.cron(), zone, inherited, now);
        Priority priority = overrides.priority()
                .map(value -> parse(problems, prefix + "priority", value, Priority::parse, Priority.accepted(), defaults.priority()))
                .orElse(defaults.priority());
        RefreshMode mode = overrides.mode()
                .map(value -> parse(problems, prefix + "mode", value, RefreshMode::parse, RefreshMode.accepted(), defaults.mode()))
                .orElse(defaults.mode());
        Duration timeout = overrides.timeout().map(d -> positive(problems, prefix + "timeout", d)).orElse(defaults.timeout());
        Duration lockTimeout = overrides.lockTimeout().map(d -> positive(problems, prefix + "lock-timeout", d)).orElse(defaults.lockTimeout());

        Set<ViewId> dependsOn = new LinkedHashSet<>();
        for (String upstream : overrides.dependsOn().orElse(List.of())) {
            Optional<ViewId> parsed = ViewId.parse(upstream.trim());
            if (parsed.isEmpty()) {
                problems.add(prefix + "depends-on=" + upstream + ": not a view name: " + ViewId.namingHint());
            } else if (parsed.get().equals(view)) {
                problems.add(prefix + "depends-on=" + upstream + ": a view cannot depend on itself");
            } else {
                dependsOn.add(parsed.get());
            }
        }

        MvRefreshConfig.Invalidate invalidate = overrides.invalidate();
        List<String> patterns = nonBlank(problems, prefix + "invalidate.patterns", invalidate.patterns().orElse(List.of()));
        List<String> tags = nonBlank(problems, prefix + "invalidate.tags", invalidate.tags().orElse(List.of()));
        Optional<String> generationKey = invalidate.generationKey().map(String::trim).filter(k -> !k.isEmpty());

        return new ViewSettings(view, schedule, priority, mode, timeout, lockTimeout,
                overrides.skipUnchanged().orElse(defaults.skipUnchanged()), dependsOn,
                new InvalidationRules(patterns, tags, generationKey),
                overrides.enabled().orElse(defaults.enabled()), true);
    }

    /** The first cycle through depends-on, as a path that ends where it starts. */
    private static Optional<List<ViewId>> dependsOnCycle(Map<ViewId, ViewSettings> views) {
        Map<ViewId, Set<ViewId>> edges = new TreeMap<>();
        views.forEach((view, settings) -> edges.put(view, settings.dependsOn()));
        Set<ViewId> finished = new java.util.HashSet<>();
        for (ViewId start : edges.keySet()) {
            Optional<List<ViewId>> cycle = cycleFrom(start, edges, new ArrayList<>(), finished);
            if (cycle.isPresent()) {
                return cycle;
            }
        }
        return Optional.empty();
    }

    private static Optional<List<ViewId>> cycleFrom(ViewId view, Map<ViewId, Set<ViewId>> edges, List<ViewId> path,
            Set<ViewId> finished) {
        int seenAt = path.indexOf(view);
        if (seenAt >= 0) {
            List<ViewId> cycle = new ArrayList<>(path.subList(seenAt, path.size()));
            cycle.add(view);
            return Optional.of(cycle);
        }
        if (finished.contains(view)) {
            return Optional.empty();
        }
        path.add(view);
        for (ViewId upstream : new java.util.TreeSet<>(edges.getOrDefault(view, Set.of()))) {
            Optional<List<ViewId>> cycle = cycleFrom(upstream, edges, path, finished);
            if (cycle.isPresent()) {
                return cycle;
            }
        }
        path.removeLast();
        finished.add(view);
        return Optional.empty();
    }

    private static ZoneId zone(List<String> problems, String prefix, String value, ZoneId fallback) {
        try {
            return ZoneId.of(value.trim());
        } catch (java.time.DateTimeException e) {
            problems.add(prefix + "cron-timezone=" + value + ": not a time zone; use an IANA name such as UTC or Europe/Berlin");
            return fallback;
        }
    }

    private static Schedule schedule(List<String> problems, String prefix, Optional<Duration> interval,
            Optional<String> cron, ZoneId zone, Schedule inherited, java.time.Instant now) {
        if (cron.isPresent() && interval.isPresent()) {
            problems.add(prefix + "interval=" + DurationText.of(interval.get()) + " and " + prefix + "cron=" + cron.get()
                    + ": set either interval or cron, not both");
            return inherited;
        }
        if (cron.isPresent()) {
            try {
                return Schedule.CronSchedule.parse(cron.get(), zone, now);
            } catch (RuntimeException e) {
                problems.add(prefix + "cron=" + cron.get()
                        + ": not a five-field cron expression (minute hour day-of-month month day-of-week): " + e.getMessage());
                return inherited;
            }
        }
        if (interval.isPresent()) {
            if (interval.get().isZero() || interval.get().isNegative()) {
                problems.add(prefix + "interval=" + DurationText.of(interval.get()) + ": must be positive");
                return inherited;
            }
            return new Schedule.Every(interval.get());
        }
        return inherited;
    }

    private static <T> T parse(List<String> problems, String key, String value, Function<String, Optional<T>> parser,
            String accepted, T fallback) {
        Optional<T> parsed = parser.apply(value);
        if (parsed.isEmpty()) {
            problems.add(key + "=" + value + ": use one of " + accepted);
            return fallback;
        }
        return parsed.get();
    }

    private static Duration positive(List<String> problems, String key, Duration value) {
        requirePositive(problems, key, value);
        return value;
    }

    private static void requirePositive(List<String> problems, String key, Duration value) {
        if (value.isZero() || value.isNegative()) {
            problems.add(key + "=" + DurationText.of(value) + ": must be positive");
        }
    }

    private static void requireNotNegative(List<String> problems, String key, Duration value) {
        if (value.isNegative()) {
            problems.add(key + "=" + DurationText.of(value) + ": must not be negative");
        }
    }

    private static List<String> nonBlank(List<String> problems, String key, List<String> values) {
        List<String> kept = new ArrayList<>();
        for (String value : values) {
            if (value.isBlank()) {
                problems.add(key + " contains an empty entry");
            } else {
                kept.add(value.trim());
            }
        }
        return kept;
    }

    private record ResolvedDefaults(Schedule schedule, ZoneId cronZone, Priority priority, RefreshMode mode, Duration timeout,
            Duration lockTimeout, boolean skipUnchanged, boolean enabled) {
    }
}
