package io.mvrefresh.vocabulary;

import java.util.Locale;

/** The ways a view's cache keys are invalidated; the {@code strategy} metric label. */
public enum InvalidationStrategy {

    /** {@code invalidate.patterns}: SCAN MATCH + UNLINK. */
    PATTERN,
    /** {@code invalidate.tags}: the set's members and the set. */
    TAG,
    /** {@code invalidate.generation-key}: INCR. */
    GENERATION;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
