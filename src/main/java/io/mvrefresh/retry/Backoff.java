package io.mvrefresh.retry;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one retry rule of mvrefresh: the wait doubles with every consecutive failure from
 * {@code first} up to {@code max}, and is spread by a jitter factor between 0.8 and 1.2 so that
 * things failing together (every view when PostgreSQL restarts, every invalidation when Redis
 * does) do not retry together. Used by refresh retries, cache invalidation, the notify listener
 * and startup.
 *
 * @param first the wait after the first failure
 * @param max the longest wait, whatever the number of failures
 */
public record Backoff(Duration first, Duration max) {

    /** The smallest jitter factor. */
    public static final double JITTER_MIN = 0.8;
    /** The largest jitter factor (exclusive). */
    public static final double JITTER_MAX = 1.2;

    public Backoff {
        if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < first <= max, got " + first + " and " + max);
        }
    }

    /** A fresh jitter factor in [{@link #JITTER_MIN}, {@link #JITTER_MAX}). */
    public static double jitter() {
        return ThreadLocalRandom.current().nextDouble(JITTER_MIN, JITTER_MAX);
    }

    /** The wait after {@code failures} consecutive failures (1 or more), with a fresh jitter. */
    public Duration delay(int failures) {
        return delay(failures, max, jitter());
    }

    /**
     * The wait after {@code failures} consecutive failures (1 or more), capped at {@code cap}
     * (when lower than {@link #max}) before {@code jitter} is applied.
     */
    public Duration delay(int failures, Duration cap, double jitter) {
        if (failures < 1) {
            return Duration.ZERO;
        }
        Duration limit = cap.compareTo(max) < 0 ? cap : max;
        int doublings = Math.min(failures - 1, 30);
        Duration doubled = first.multipliedBy(1L << doublings);
        Duration capped = doubled.compareTo(limit) > 0 ? limit : doubled;
        return Duration.ofMillis((long) (capped.toMillis() * jitter));
    }
}
