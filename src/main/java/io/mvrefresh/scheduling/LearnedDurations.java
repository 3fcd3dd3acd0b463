package io.mvrefresh.scheduling;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * How long a view's refreshes take, learned from its last successful ones: what a deadline has to
 * leave room for.
 */
final class LearnedDurations {

    static final int KEPT = 20;
    private static final double PERCENTILE = 0.9;

    /** Newest last. */
    private final ArrayDeque<Duration> recent = new ArrayDeque<>();

    void learned(Duration took) {
        recent.addLast(took);
        while (recent.size() > KEPT) {
            recent.removeFirst();
        }
    }

    /**
     * What a refresh is expected to take: the 90th percentile of the recent successful ones (a
     * deadline missed by a slow run is what matters, not the typical one); null before the first.
     */
    Duration expected() {
        if (recent.isEmpty()) {
            return null;
        }
        List<Duration> sorted = new ArrayList<>(recent);
        sorted.sort(null);
        return sorted.get((int) Math.ceil(PERCENTILE * sorted.size()) - 1);
    }
}
