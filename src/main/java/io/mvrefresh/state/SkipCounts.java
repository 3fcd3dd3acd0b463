package io.mvrefresh.state;

import io.mvrefresh.vocabulary.SkipReason;
import java.time.Instant;

/**
 * How often a view's runs executed nothing, by reason, and the latest such run: kept in
 * {@code view_state} rather than as rows of {@code refresh_run}, so history shows work done.
 */
public record SkipCounts(long unchanged, long lockedElsewhere, long paused, Instant lastAt, SkipReason lastReason) {

    public static final SkipCounts NONE = new SkipCounts(0, 0, 0, null, null);
}
