package io.mvrefresh.config;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
    boolean fromComment(ViewKey key) {
        return fromCommentText(key).isPresent();
    }

    private Optional<String> fromCommentText(ViewKey key) {
        if (properties.flatMap(key::in).isPresent()) {
            return Optional.empty();
        }
        if (key.schedule() && properties.map(p -> p.interval().isPresent() || p.cron().isPresent()).orElse(false)) {
            return Optional.empty();
        }
        return Optional.ofNullable(comment.get(key.key()));
    }

    @SuppressWarnings("unchecked") // the key's reader answers what the accessor of the same name does
    private Optional<String> text(ViewKey key) {
        return properties.flatMap(p -> (Optional<String>) key.in(p)).or(() -> fromCommentText(key));
    }

    @SuppressWarnings("unchecked")
    private Optional<List<String>> list(ViewKey key) {
        return properties.flatMap(p -> (Optional<List<String>>) key.in(p))
                .or(() -> fromCommentText(key).map(value -> Arrays.asList(value.split(","))));
    }

    @Override
    public Optional<String> interval() {
        return text(ViewKey.INTERVAL);
    }

    @Override
    public Optional<String> cron() {
        return text(ViewKey.CRON);
    }

    @Override
    public Optional<String> cronTimezone() {
        return text(ViewKey.CRON_TIMEZONE);
    }

    @Override
    public Optional<String> priority() {
        return text(ViewKey.PRIORITY);
    }

    @Override
    public Optional<String> mode() {
        return text(ViewKey.MODE);
    }

    @Override
    public Optional<String> timeout() {
        return text(ViewKey.TIMEOUT);
    }

    @Override
    public Optional<String> lockTimeout() {
        return text(ViewKey.LOCK_TIMEOUT);
    }

    @Override
    public Optional<String> skipUnchanged() {
        return text(ViewKey.SKIP_UNCHANGED);
    }

    @Override
    public Optional<List<String>> dependsOn() {
        return list(ViewKey.DEPENDS_ON);
    }

    @Override
    public MvRefreshConfig.Invalidate invalidate() {
        LayeredOverrides layered = this;
        return new MvRefreshConfig.Invalidate() {

            @Override
            public Optional<List<String>> patterns() {
                return layered.list(ViewKey.INVALIDATE_PATTERNS);
            }

            @Override
            public Optional<List<String>> tags() {
                return layered.list(ViewKey.INVALIDATE_TAGS);
            }

            @Override
            public Optional<String> generationKey() {
                return layered.text(ViewKey.INVALIDATE_GENERATION_KEY);
            }
        };
    }

    @Override
    public Optional<String> enabled() {
        return text(ViewKey.ENABLED);
    }

    @Override
    public Optional<String> maxStaleness() {
        return text(ViewKey.MAX_STALENESS);
    }

    @Override
    public Optional<String> minInterval() {
        return text(ViewKey.MIN_INTERVAL);
    }

    @Override
    public Optional<String> afterSql() {
        // Never from a comment: only trusted configuration runs SQL.
        return properties.flatMap(MvRefreshConfig.ViewOverrides::afterSql);
    }
}
