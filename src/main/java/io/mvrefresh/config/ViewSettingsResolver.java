package io.mvrefresh.config;

import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.ViewId;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Validates the whole {@code mvrefresh.*} configuration once and answers the settings in effect
 * for any view. Every problem is collected first so one restart fixes them all.
 */
public final class ViewSettingsResolver {

    private static final Schedule DEFAULT_SCHEDULE = new Schedule.Every(Duration.ofMinutes(15));

    private final ResolvedDefaults defaults;
    private final Map<ViewId, ViewSettings> configured;
    private final Map<ViewId, MvRefreshConfig.ViewOverrides> overrides;

    private ViewSettingsResolver(ResolvedDefaults defaults, Map<ViewId, ViewSettings> configured,
            Map<ViewId, MvRefreshConfig.ViewOverrides> overrides) {
        this.defaults = defaults;
        this.configured = configured;
        this.overrides = overrides;
    }

    /**
     * Resolves the defaults and every configured view as of {@code now} (a cron expression must
     * still fire after it), collecting every problem in {@code values}.
     */
    static ViewSettingsResolver resolve(SettingValues values, MvRefreshConfig config, Instant now) {
        MvRefreshConfig.ViewDefaults raw = config.defaults();
        String prefix = "mvrefresh.defaults.";
        ZoneId defaultZone = zone(values, prefix, raw.cronTimezone(), ZoneOffset.UTC);
        boolean explicitSchedule = raw.interval().isPresent() || raw.cron().isPresent();
        ResolvedDefaults defaults = new ResolvedDefaults(
                schedule(values, prefix, raw.interval(), raw.cron(), defaultZone, DEFAULT_SCHEDULE, now),
                explicitSchedule,
                values.optionalPositiveDuration(ViewKey.MAX_STALENESS.under(prefix), raw.maxStaleness()),
                values.optionalPositiveDuration(ViewKey.MIN_INTERVAL.under(prefix), raw.minInterval()),
                raw.afterSql().map(String::trim).filter(sql -> !sql.isEmpty()),
                defaultZone,
                parse(values, ViewKey.PRIORITY.under(prefix), raw.priority(), Priority::parse, Priority.accepted(),
                        Priority.MEDIUM),
                parse(values, ViewKey.MODE.under(prefix), raw.mode(), RefreshMode::parse, RefreshMode.accepted(),
                        RefreshMode.AUTO),
                values.positiveDuration(ViewKey.TIMEOUT.under(prefix), raw.timeout()),
                values.positiveDuration(ViewKey.LOCK_TIMEOUT.under(prefix), raw.lockTimeout()),
                values.bool(ViewKey.SKIP_UNCHANGED.under(prefix), raw.skipUnchanged()),
                values.bool(ViewKey.ENABLED.under(prefix), raw.enabled()));

        Map<ViewId, ViewSettings> configured = new TreeMap<>();
        Map<ViewId, MvRefreshConfig.ViewOverrides> ownOverrides = new TreeMap<>();
        config.views().forEach((key, overrides) -> {
            String viewPrefix = "mvrefresh.views.\"" + key + "\".";
            Optional<ViewId> view = ViewId.parse(key);
            if (view.isEmpty()) {
                values.problem("mvrefresh.views.\"" + key + "\": not a view name: " + ViewId.namingHint()
                        + " (e.g. mvrefresh.views.\"public." + key + "\")");
                return;
            }
            if (configured.containsKey(view.get())) {
                values.problem("mvrefresh.views.\"" + key + "\": names " + view.get() + " again; configure each view once");
                return;
            }
            ownOverrides.put(view.get(), overrides);
            configured.put(view.get(), resolve(values, viewPrefix, view.get(), overrides, defaults, true, now)
                    .from(new SettingSources(ViewKey.setIn(overrides), Set.of(), Optional.empty())));
        });

        dependsOnCycle(configured).ifPresent(cycle -> values.problem("depends-on forms a cycle: "
                + String.join(" -> ", cycle.stream().map(ViewId::toString).toList())
                + "; a view cannot (indirectly) depend on itself, remove one of these depends-on entries"));
        return new ViewSettingsResolver(defaults, Map.copyOf(configured), Map.copyOf(ownOverrides));
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
        Schedule schedule = defaults.maxStaleness().isPresent() && !defaults.explicitSchedule()
                ? new Schedule.OnChange(defaults.maxStaleness().get())
                : defaults.schedule();
        return new ViewSettings(view, schedule, defaults.priority(), defaults.mode(), defaults.timeout(),
                defaults.lockTimeout(), defaults.skipUnchanged(), Set.of(), InvalidationRules.NONE, defaults.enabled(), false,
                defaults.maxStaleness(), minInterval(defaults.maxStaleness(), defaults.minInterval()), defaults.afterSql());
    }

    /**
     * The settings of {@code view} with those its comment carries: its properties first, then the
     * comment, then the defaults. Answers the comment's problems instead, each naming the key and
     * value, when any of its settings does not convert; the caller then keeps the last good ones.
     */
    public CommentResolution withComment(ViewId view, CommentSettings comment, Instant now) {
        if (!comment.present()) {
            return new CommentResolution(settingsFor(view), Optional.empty());
        }
        SettingValues values = new SettingValues();
        comment.problems().forEach(values::problem);
        // Checked on its own first, so each problem names the comment's own key and value (also
        // one the properties override: the comment is still wrong).
        resolve(values, "", view, LayeredOverrides.commentOnly(comment.values()), defaults, false, now);
        Optional<MvRefreshConfig.ViewOverrides> own = Optional.ofNullable(overrides.get(view));
        LayeredOverrides layered = new LayeredOverrides(own, comment.values());
        ViewSettings settings = values.problems().isEmpty()
                ? resolve(values, "", view, layered, defaults, own.isPresent(), now)
                : null;
        if (!values.problems().isEmpty()) {
            return new CommentResolution(null, Optional.of("comment on " + view + ": " + String.join("; ", values.problems())));
        }
        Set<String> fromComment = new TreeSet<>(
                Arrays.stream(ViewKey.values()).filter(layered::fromComment).map(ViewKey::key).toList());
        return new CommentResolution(settings.from(new SettingSources(own.map(ViewKey::setIn).orElse(Set.of()), fromComment,
                Optional.empty())), Optional.empty());
    }

    /**
     * A view's settings with its comment's, or why the comment's were refused.
     *
     * @param settings the settings in effect; null when refused
     * @param problem what in the comment is wrong, naming the view, the keys and the values
     */
    public record CommentResolution(ViewSettings settings, Optional<String> problem) {
    }

    private static ViewSettings resolve(SettingValues values, String prefix, ViewId view,
            MvRefreshConfig.ViewOverrides overrides, ResolvedDefaults defaults, boolean configured, Instant now) {
        ZoneId zone = overrides.cronTimezone().map(z -> zone(values, prefix, z, defaults.cronZone())).orElse(defaults.cronZone());
        Schedule inherited = defaults.schedule();
        if (overrides.cron().isEmpty() && overrides.interval().isEmpty() && inherited instanceof Schedule.CronSchedule cron
                && !cron.zone().equals(zone)) {
            inherited = Schedule.CronSchedule.parse(cron.expression(), zone, now);
        }
        Schedule schedule = schedule(values, prefix, overrides.interval(), overrides.cron(), zone, inherited, now);
        Optional<Duration> maxStaleness = overrides.maxStaleness().isPresent()
                ? values.optionalPositiveDuration(ViewKey.MAX_STALENESS.under(prefix), overrides.maxStaleness())
                : defaults.maxStaleness();
        Optional<Duration> minInterval = overrides.minInterval().isPresent()
                ? values.optionalPositiveDuration(ViewKey.MIN_INTERVAL.under(prefix), overrides.minInterval())
                : defaults.minInterval();
        boolean ownSchedule = overrides.interval().isPresent() || overrides.cron().isPresent();
        if (!ownSchedule && !defaults.explicitSchedule() && maxStaleness.isPresent()) {
            // A freshness target alone: refreshed on change, not on the built-in 15-minute interval.
            schedule = new Schedule.OnChange(maxStaleness.get());
        }
        Priority priority = overrides.priority()
                .map(value -> parse(values, ViewKey.PRIORITY.under(prefix), value, Priority::parse, Priority.accepted(),
                        defaults.priority()))
                .orElse(defaults.priority());
        RefreshMode mode = overrides.mode()
                .map(value -> parse(values, ViewKey.MODE.under(prefix), value, RefreshMode::parse, RefreshMode.accepted(),
                        defaults.mode()))
                .orElse(defaults.mode());
        Duration timeout = overrides.timeout().map(d -> values.positiveDuration(ViewKey.TIMEOUT.under(prefix), d))
                .orElse(defaults.timeout());
        Duration lockTimeout = overrides.lockTimeout()
                .map(d -> values.positiveDuration(ViewKey.LOCK_TIMEOUT.under(prefix), d))
                .orElse(defaults.lockTimeout());

        Set<ViewId> dependsOn = new LinkedHashSet<>();
        for (String upstream : overrides.dependsOn().orElse(List.of())) {
            Optional<ViewId> parsed = ViewId.parse(upstream.trim());
            if (parsed.isEmpty()) {
                values.problem(ViewKey.DEPENDS_ON.under(prefix) + "=" + upstream + ": not a view name: " + ViewId.namingHint());
            } else if (parsed.get().equals(view)) {
                values.problem(ViewKey.DEPENDS_ON.under(prefix) + "=" + upstream + ": a view cannot depend on itself");
            } else {
                dependsOn.add(parsed.get());
            }
        }

        MvRefreshConfig.Invalidate invalidate = overrides.invalidate();
        List<String> patterns = nonBlank(values, ViewKey.INVALIDATE_PATTERNS.under(prefix),
                invalidate.patterns().orElse(List.of()));
        List<String> tags = nonBlank(values, ViewKey.INVALIDATE_TAGS.under(prefix), invalidate.tags().orElse(List.of()));
        Optional<String> generationKey = invalidate.generationKey().map(String::trim).filter(k -> !k.isEmpty());

        return new ViewSettings(view, schedule, priority, mode, timeout, lockTimeout,
                overrides.skipUnchanged().map(b -> values.bool(ViewKey.SKIP_UNCHANGED.under(prefix), b))
                        .orElse(defaults.skipUnchanged()),
                dependsOn,
                new InvalidationRules(patterns, tags, generationKey),
                overrides.enabled().map(b -> values.bool(ViewKey.ENABLED.under(prefix), b)).orElse(defaults.enabled()),
                configured,
                maxStaleness, minInterval(maxStaleness, minInterval),
                overrides.afterSql().map(String::trim).filter(sql -> !sql.isEmpty()).or(defaults::afterSql));
    }

    /** The first cycle through depends-on, as a path that ends where it starts. */
    private static Optional<List<ViewId>> dependsOnCycle(Map<ViewId, ViewSettings> views) {
        Map<ViewId, Set<ViewId>> edges = new TreeMap<>();
        views.forEach((view, settings) -> edges.put(view, settings.dependsOn()));
        Set<ViewId> finished = new HashSet<>();
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
        for (ViewId upstream : new TreeSet<>(edges.getOrDefault(view, Set.of()))) {
            Optional<List<ViewId>> cycle = cycleFrom(upstream, edges, path, finished);
            if (cycle.isPresent()) {
                return cycle;
            }
        }
        path.removeLast();
        finished.add(view);
        return Optional.empty();
    }

    private static ZoneId zone(SettingValues values, String prefix, String value, ZoneId fallback) {
        try {
            return ZoneId.of(value.trim());
        } catch (DateTimeException e) {
            values.problem(
                    ViewKey.CRON_TIMEZONE.under(prefix) + "=" + value
                            + ": not a time zone; use an IANA name such as UTC or Europe/Berlin");
            return fallback;
        }
    }

    private static Schedule schedule(SettingValues values, String prefix, Optional<String> interval,
            Optional<String> cron, ZoneId zone, Schedule inherited, Instant now) {
        if (cron.isPresent() && interval.isPresent()) {
            values.problem(ViewKey.INTERVAL.under(prefix) + "=" + interval.get() + " and " + ViewKey.CRON.under(prefix) + "="
                    + cron.get()
                    + ": set either interval or cron, not both");
            return inherited;
        }
        if (cron.isPresent()) {
            try {
                return Schedule.CronSchedule.parse(cron.get(), zone, now);
            } catch (RuntimeException e) {
                values.problem(ViewKey.CRON.under(prefix) + "=" + cron.get()
                        + ": not a five-field cron expression (minute hour day-of-month month day-of-week): " + e.getMessage());
                return inherited;
            }
        }
        if (interval.isPresent()) {
            Duration every = values.positiveDuration(ViewKey.INTERVAL.under(prefix), interval.get());
            return every == null ? inherited : new Schedule.Every(every);
        }
        return inherited;
    }

    private static <T> T parse(SettingValues values, String key, String value, Function<String, Optional<T>> parser,
            String accepted, T fallback) {
        Optional<T> parsed = parser.apply(value);
        if (parsed.isEmpty()) {
            values.problem(key + "=" + value + ": use one of " + accepted);
            return fallback;
        }
        return parsed.get();
    }

    private static List<String> nonBlank(SettingValues values, String key, List<String> entries) {
        List<String> kept = new ArrayList<>();
        for (String value : entries) {
            if (value.isBlank()) {
                values.problem(key + " contains an empty entry");
            } else {
                kept.add(value.trim());
            }
        }
        return kept;
    }

    /** The minimum interval in effect: as set, else half the freshness target (the debounce for bursts of writes), else none. */
    private static Duration minInterval(Optional<Duration> maxStaleness, Optional<Duration> minInterval) {
        return minInterval.orElseGet(() -> maxStaleness.map(target -> target.dividedBy(2)).orElse(Duration.ZERO));
    }

    private record ResolvedDefaults(Schedule schedule, boolean explicitSchedule, Optional<Duration> maxStaleness,
            Optional<Duration> minInterval, Optional<String> afterSql, ZoneId cronZone, Priority priority, RefreshMode mode,
            Duration timeout,
            Duration lockTimeout, boolean skipUnchanged, boolean enabled) {
    }
}
