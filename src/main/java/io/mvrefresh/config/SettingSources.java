package io.mvrefresh.config;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where each of a view's settings comes from, and why its comment's settings are not in effect.
 *
 * @param fromProperties keys set under {@code mvrefresh.views."<view>".}
 * @param fromComment keys its comment sets that the properties do not
 * @param commentProblem why the comment's settings were refused (the view keeps its last good
 *     ones), naming the key and value; empty when they were taken
 */
public record SettingSources(Set<String> fromProperties, Set<String> fromComment, Optional<String> commentProblem) {

    /** Everything from the defaults. */
    public static final SettingSources DEFAULTS = new SettingSources(Set.of(), Set.of(), Optional.empty());

    /** Where a setting comes from. */
    public enum Source {

        DEFAULT, COMMENT, PROPERTIES;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public SettingSources {
        fromProperties = Set.copyOf(fromProperties);
        fromComment = Set.copyOf(fromComment);
    }

    public Source of(String key) {
        if (fromProperties.contains(key)) {
            return Source.PROPERTIES;
        }
        return fromComment.contains(key) ? Source.COMMENT : Source.DEFAULT;
    }

    /** Every per-view key with its source, in the README's order. */
    public Map<String, String> byKey() {
        Map<String, String> sources = new LinkedHashMap<>();
        ViewKey.names().forEach(key -> sources.put(key, of(key).label()));
        return sources;
    }

    SettingSources refusing(String problem) {
        return new SettingSources(fromProperties, fromComment, Optional.of(problem));
    }
}
