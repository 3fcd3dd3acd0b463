package io.mvrefresh.config;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A view's overrides from two places: what its properties set wins, what its comment sets fills
 * the rest. A schedule is taken whole: properties that set {@code interval} or {@code cron} hide
 * both from the comment, so the two never combine into "both interval and cron".
 */
record LayeredOverrides(Optional<MvRefreshConfig.ViewOverrides> properties, Map<String, String> comment)
        implements
            MvRefreshConfig.ViewOverrides {

    LayeredOverrides {
        comment = Map.copyOf(comment);
    }

    /** Only what the comment says, over the defaults: how a comment is checked on its own. */
    static LayeredOverrides commentOnly(Map<String, String> comment) {
        return new LayeredOverrides(Optional.empty(), comment);
    }

    /** Whether {@code key} comes from the comment (set there and not hidden by the properties). */
    boolean fromComment(String key) {
        return fromComment(key, overrides -> ViewKeys.READERS.get(key).apply(overrides)).isPresent();
    }

    private Optional<String> fromComment(String key, Function<MvRefreshConfig.ViewOverrides, Optional<?>> ofProperties) {
        if (properties.flatMap(ofProperties).isPresent()) {
            return Optional.empty();
        }
        boolean scheduleKey = key.equals("interval") || key.equals("cron");
        if (scheduleKey && properties.map(p -> p.interval().isPresent() || p.cron().isPresent()).orElse(false)) {
            return Optional.empty();
        }
        return Optional.ofNullable(comment.get(key));
    }

    private Optional<String> text(String key, Function<MvRefreshConfig.ViewOverrides, Optional<String>> ofProperties) {
        return properties.flatMap(ofProperties).or(() -> fromComment(key, ofProperties::apply));
    }

    private Optional<List<String>> list(String key,
            Function<MvRefreshConfig.ViewOverrides, Optional<List<String>>> ofProperties) {
        return properties.flatMap(ofProperties)
                .or(() -> fromComment(key, ofProperties::apply).map(value -> Arrays.asList(value.split(","))));
    }

    @Override
    public Optional<String> interval() {
        return text("interval", MvRefreshConfig.ViewOverrides::interval);
    }

    @Override
    public Optional<String> cron() {
        return text("cron", MvRefreshConfig.ViewOverrides::cron);
    }

    @Override
    public Optional<String> cronTimezone() {
        return text("cron-timezone", MvRefreshConfig.ViewOverrides::cronTimezone);
    }

    @Override
    public Optional<String> priority() {
        return text("priority", MvRefreshConfig.ViewOverrides::priority);
    }

    @Override
    public Optional<String> mode() {
        return text("mode", MvRefreshConfig.ViewOverrides::mode);
    }

    @Override
    public Optional<String> timeout() {
        return text("timeout", MvRefreshConfig.ViewOverrides::timeout);
    }

    @Override
    public Optional<String> lockTimeout() {
        return text("lock-timeout", MvRefreshConfig.ViewOverrides::lockTimeout);
    }

    @Override
    public Optional<String> skipUnchanged() {
        return text("skip-unchanged", MvRefreshConfig.ViewOverrides::skipUnchanged);
    }

    @Override
    public Optional<List<String>> dependsOn() {
        return list("depends-on", MvRefreshConfig.ViewOverrides::dependsOn);
    }

    @Override
    public MvRefreshConfig.Invalidate invalidate() {
        LayeredOverrides layered = this;
        return new MvRefreshConfig.Invalidate() {

            @Override
            public Optional<List<String>> patterns() {
                return layered.list("invalidate.patterns", overrides -> overrides.invalidate().patterns());
            }

            @Override
            public Optional<List<String>> tags() {
                return layered.list("invalidate.tags", overrides -> overrides.invalidate().tags());
            }

            @Override
            public Optional<String> generationKey() {
                return layered.text("invalidate.generation-key", overrides -> overrides.invalidate().generationKey());
            }
        };
    }

    @Override
    public Optional<String> enabled() {
        return text("enabled", MvRefreshConfig.ViewOverrides::enabled);
    }

    @Override
    public Optional<String> maxStaleness() {
        return text("max-staleness", MvRefreshConfig.ViewOverrides::maxStaleness);
    }

    @Override
    public Optional<String> minInterval() {
        return text("min-interval", MvRefreshConfig.ViewOverrides::minInterval);
    }

    @Override
    public Optional<String> afterSql() {
        // Never from a comment: only trusted configuration runs SQL.
        return properties.flatMap(MvRefreshConfig.ViewOverrides::afterSql);
    }
}
