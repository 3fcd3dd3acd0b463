package io.mvrefresh.config;

import java.util.List;
import java.util.Optional;

/** The Redis keys a view's successful refresh invalidates. */
public record InvalidationRules(List<String> patterns, List<String> tags, Optional<String> generationKey) {

    public static final InvalidationRules NONE = new InvalidationRules(List.of(), List.of(), Optional.empty());

    public InvalidationRules {
        patterns = List.copyOf(patterns);
        tags = List.copyOf(tags);
    }

    /** Whether there is anything to do after a refresh. */
    public boolean isEmpty() {
        return patterns.isEmpty() && tags.isEmpty() && generationKey.isEmpty();
    }
}
