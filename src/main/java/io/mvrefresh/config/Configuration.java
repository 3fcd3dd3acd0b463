package io.mvrefresh.config;

import io.smallrye.config.ConfigMappingLoader;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The whole {@code mvrefresh.*} configuration, validated once: the global settings and every
 * view's. Every problem — an unknown key, a value that does not convert, one that is out of
 * range, settings that contradict each other — is collected first, so one restart fixes them all.
 */
public final class Configuration {

    private final GlobalSettings global;
    private final ViewSettingsResolver views;

    private Configuration(GlobalSettings global, ViewSettingsResolver views) {
        this.global = global;
        this.views = views;
    }

    public GlobalSettings global() {
        return global;
    }

    public ViewSettingsResolver views() {
        return views;
    }

    /**
     * Validates {@code config} as of {@code now}; {@code propertyNames} are every configuration
     * key known to the application (from properties files and system properties), of which those
     * under {@code mvrefresh.} must each be a setting. Throws {@link InvalidConfigurationException}
     * naming every bad key and value.
     */
    public static Configuration validate(MvRefreshConfig config, Collection<String> propertyNames, Instant now) {
        SettingValues values = new SettingValues();
        propertyNames.stream()
                .filter(name -> name.startsWith(ConfigKeys.PREFIX))
                .filter(name -> !ConfigKeys.isKnown(name))
                .sorted()
                .forEach(name -> values.problem(name + ": not a setting of mvrefresh" + ConfigKeys.suggestion(name)));

        GlobalSettings.Scheduler scheduler = new GlobalSettings.Scheduler(
                values.positiveDuration(ConfigKeys.mapped("scheduler.aging"), config.scheduler().aging()),
                values.positiveDuration(ConfigKeys.mapped("scheduler.poll-interval"), config.scheduler().pollInterval()),
                values.bool(ConfigKeys.mapped("scheduler.timers"), config.scheduler().timers()),
                values.integer(ConfigKeys.mapped("scheduler.reserved-for-critical"), config.scheduler().reservedForCritical(),
                        0));
        GlobalSettings.Health health = new GlobalSettings.Health(
                values.bool(ConfigKeys.mapped("health.ready-requires-database"), config.health().readyRequiresDatabase()),
                values.positiveDuration(ConfigKeys.mapped("health.liveness-timeout"), config.health().livenessTimeout()));
        if (health.livenessTimeout() != null && scheduler.pollInterval() != null
                && health.livenessTimeout().compareTo(scheduler.pollInterval().multipliedBy(3)) < 0) {
            values.problem(ConfigKeys.mapped("health.liveness-timeout") + "=" + config.health().livenessTimeout()
                    + ": must be at least three poll intervals (" + ConfigKeys.mapped("scheduler.poll-interval") + "="
                    + config.scheduler().pollInterval() + ")");
        }
        List<String> schemas = config.discovery().schemas();
        if (schemas.stream().anyMatch(String::isBlank)) {
            values.problem(
                    ConfigKeys.mapped("discovery.schemas") + "=" + String.join(",", schemas) + ": contains an empty schema name");
        }
        int concurrency = values.integer(ConfigKeys.mapped("concurrency"), config.concurrency(), 1);
        if (scheduler.reservedForCritical() >= concurrency) {
            values.problem(ConfigKeys.mapped("scheduler.reserved-for-critical") + "=" + scheduler.reservedForCritical()
                    + ": must be less than " + ConfigKeys.mapped("concurrency") + "=" + concurrency
                    + ", or nothing but critical views could ever run");
        }
        GlobalSettings global = new GlobalSettings(
                concurrency,
                new GlobalSettings.RefreshSession(
                        values.integer(ConfigKeys.mapped("refresh-session.max-runs"), config.refreshSession().maxRuns(), 0)),
                config.instance().trim(),
                new GlobalSettings.Discovery(List.copyOf(schemas.stream().map(String::trim).toList()),
                        config.discovery().include(),
                        config.discovery().exclude().orElse(List.of()),
                        values.positiveDuration(ConfigKeys.mapped("discovery.rescan-interval"),
                                config.discovery().rescanInterval()),
                        values.bool(ConfigKeys.mapped("discovery.comment-settings"), config.discovery().commentSettings())),
                scheduler,
                new GlobalSettings.Shutdown(
                        values.notNegativeDuration(ConfigKeys.mapped("shutdown.grace"), config.shutdown().grace())),
                new GlobalSettings.Invalidation(
                        config.invalidation().channel().map(String::trim).filter(channel -> !channel.isEmpty()),
                        values.integer(ConfigKeys.mapped("invalidation.scan-count"), config.invalidation().scanCount(), 1),
                        values.integer(ConfigKeys.mapped("invalidation.queue-capacity"), config.invalidation().queueCapacity(),
                                1),
                        values.positiveDuration(ConfigKeys.mapped("invalidation.command-timeout"),
                                config.invalidation().commandTimeout()),
                        standbys(values, config.invalidation().replicas()),
                        values.positiveDuration(ConfigKeys.mapped("invalidation.replica-wait-max"),
                                config.invalidation().replicaWaitMax())),
                // A Secret made from a file ending in a newline must still authenticate.
                new GlobalSettings.Admin(config.admin().token().map(String::trim).filter(token -> !token.isEmpty())),
                health,
                new GlobalSettings.Schema(values.bool(ConfigKeys.mapped("schema.manage"), config.schema().manage())),
                new GlobalSettings.History(
                        values.positiveDuration(ConfigKeys.mapped("history.retention"), config.history().retention())),
                new GlobalSettings.Demo(values.bool(ConfigKeys.mapped("demo.enabled"), config.demo().enabled()),
                        values.positiveDuration(ConfigKeys.mapped("demo.trickle-interval"), config.demo().trickleInterval())),
                new GlobalSettings.Metrics(
                        values.bool(ConfigKeys.mapped("metrics.per-view-histograms"), config.metrics().perViewHistograms())),
                new GlobalSettings.Logging(values.bool(ConfigKeys.mapped("log.successes"), config.log().successes())),
                new GlobalSettings.Changes(
                        values.positiveDuration(ConfigKeys.mapped("changes.poll-interval"), config.changes().pollInterval()),
                        config.changes().notifyChannel().map(String::trim).filter(channel -> !channel.isEmpty())),
                new GlobalSettings.Console(values.bool(ConfigKeys.mapped("console.enabled"), config.console().enabled())));
        ViewSettingsResolver views = ViewSettingsResolver.resolve(values, config, now);
        if (!values.problems().isEmpty()) {
            throw new InvalidConfigurationException(values.problems());
        }
        return new Configuration(global, views);
    }

    private static StandbySelection standbys(SettingValues values, String text) {
        return StandbySelection.parse(text).orElseGet(() -> {
            values.problem(ConfigKeys.mapped("invalidation.replicas") + "=" + text
                    + ": write all, off, or a comma list of standby application_name globs (e.g. reporting-*,analytics)");
            return StandbySelection.ALL;
        });
    }

    /** Every key mvrefresh reads; anything else under {@code mvrefresh.} is a typo. */
    static final class ConfigKeys {

        static final String PREFIX = "mvrefresh.";

        /**
         * Every key of the mapping ({@link MvRefreshConfig}) below {@code mvrefresh.}, as the
         * mapping's generated implementation lists them ({@code scheduler.aging},
         * {@code defaults.mode}, {@code views.*.interval}): names live in the mapping alone.
         */
        private static final List<String> MAPPED = mappedKeys();

        /** Keys every view can default to, under {@code mvrefresh.defaults.}. */
        static final List<String> DEFAULT_KEYS = under("defaults.");

        /** Keys of one view, under {@code mvrefresh.views."<view>".}: the defaults' and those that only make sense per view. */
        static final List<String> VIEW_KEYS = under("views.*.");

        /** Keys that are not per view. */
        static final List<String> GLOBAL_KEYS = MAPPED.stream()
                .filter(key -> !key.startsWith("defaults.") && !key.startsWith("views.")).toList();

        /** A list may be written element by element: {@code mvrefresh.discovery.schemas[0]=public}. */
        private static final Pattern INDEX = Pattern.compile("\\[\\d+]$");
        /** {@code mvrefresh.views."<view>".<key>}, the view name in quotes (which may contain dots and escaped quotes). */
        private static final Pattern VIEW = Pattern.compile("^mvrefresh\\.views\\.\"(?:[^\"\\\\]|\\\\.)*\"\\.(.+)$");

        private ConfigKeys() {
        }

        @SuppressWarnings("unchecked")
        private static List<String> mappedKeys() {
            try {
                Map<String, String> properties = (Map<String, String>) ConfigMappingLoader.ensureLoaded(MvRefreshConfig.class)
                        .getProperties().invoke();
                // A list's elements ("schemas[*]") are the list's own key with an index.
                return properties.keySet().stream().filter(key -> !key.endsWith("[*]")).sorted().toList();
            } catch (Throwable e) {
                throw new IllegalStateException("the configuration mapping's keys could not be read", e);
            }
        }

        /**
         * The full name of a key that is not per view, as messages name it. Checked against the
         * mapping, so a key renamed there fails every validation instead of leaving a message
         * that names a setting which no longer exists.
         */
        static String mapped(String key) {
            if (!GLOBAL_KEYS.contains(key)) {
                throw new IllegalStateException(PREFIX + key + " is not a key of the configuration mapping");
            }
            return PREFIX + key;
        }

        private static List<String> under(String prefix) {
            return MAPPED.stream().filter(key -> key.startsWith(prefix)).map(key -> key.substring(prefix.length())).toList();
        }

        static boolean isKnown(String name) {
            String key = INDEX.matcher(name).replaceFirst("");
            if (key.startsWith(PREFIX + "defaults.")) {
                return DEFAULT_KEYS.contains(key.substring((PREFIX + "defaults.").length()));
            }
            var view = VIEW.matcher(key);
            if (view.matches()) {
                return VIEW_KEYS.contains(view.group(1));
            }
            return GLOBAL_KEYS.contains(key.substring(PREFIX.length()));
        }

        /** " (did you mean ...?)" naming the closest known key, when one is close. */
        static String suggestion(String name) {
            String key = INDEX.matcher(name).replaceFirst("");
            if (key.startsWith(PREFIX + "views.") && !VIEW.matcher(key).matches()) {
                return " (write the view's name in double quotes: mvrefresh.views.\"schema.name\".<setting>)";
            }
            String prefix;
            String rest;
            List<String> candidates;
            var view = VIEW.matcher(key);
            if (key.startsWith(PREFIX + "defaults.")) {
                prefix = PREFIX + "defaults.";
                rest = key.substring(prefix.length());
                candidates = DEFAULT_KEYS;
            } else if (view.matches()) {
                prefix = key.substring(0, view.start(1));
                rest = view.group(1);
                candidates = VIEW_KEYS;
            } else {
                prefix = PREFIX;
                rest = key.substring(PREFIX.length());
                candidates = GLOBAL_KEYS;
            }
            return closest(rest, candidates).map(candidate -> " (did you mean " + prefix + candidate + "?)").orElse("");
        }

        /** The candidate closest to {@code key}, when one is close enough to be what was meant. */
        static Optional<String> closest(String key, List<String> candidates) {
            return candidates.stream().min(Comparator.comparingInt(candidate -> distance(candidate, key)))
                    .filter(candidate -> distance(candidate, key) <= Math.max(2, key.length() / 4));
        }

        private static int distance(String a, String b) {
            int[] previous = new int[b.length() + 1];
            int[] current = new int[b.length() + 1];
            for (int j = 0; j <= b.length(); j++) {
                previous[j] = j;
            }
            for (int i = 1; i <= a.length(); i++) {
                current[0] = i;
                for (int j = 1; j <= b.length(); j++) {
                    int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                    current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
                }
                int[] swap = previous;
                previous = current;
                current = swap;
            }
            return previous[b.length()];
        }
    }
}
