package io.mvrefresh.cache;

import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.metrics.CacheMetrics;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Invalidations waiting for Redis, at most one per view and at most {@code queue-capacity} in all.
 * A newer refresh of a view supersedes its waiting invalidation (it deletes the same keys and
 * reports the newer run), keeping the older one's place in line. When full, the oldest waiting
 * invalidation is dropped and logged: its keys stay in the cache until that view's next refresh.
 */
@ApplicationScoped
public class InvalidationQueue {

    private final int capacity;
    private final CacheMetrics metrics;
    private final Map<ViewId, InvalidationRequest> waiting = new LinkedHashMap<>();
    private InvalidationRequest inFlight;

    public InvalidationQueue(GlobalSettings config, CacheMetrics metrics) {
        this.capacity = config.invalidation().queueCapacity();
        this.metrics = metrics;
    }

    /** Adds {@code request}, superseding a waiting one of the same view, or dropping the oldest when full. */
    public synchronized void offer(InvalidationRequest request) {
        InvalidationRequest superseded = waiting.get(request.view());
        if (superseded != null) {
            waiting.put(request.view(), request);
            Log.debugf("invalidation of %s for run #%d superseded by run #%d", request.view(), superseded.runId(),
                    request.runId());
            return;
        }
        try {
            admit(request);
        } finally {
            metrics.pending(pending());
        }
    }

    private void admit(InvalidationRequest request) {
        if (waiting.size() >= capacity) {
            Iterator<InvalidationRequest> oldest = waiting.values().iterator();
            InvalidationRequest dropped = oldest.next();
            oldest.remove();
            Log.errorf("invalidation queue full (%d, mvrefresh.invalidation.queue-capacity): dropped the invalidation of %s"
                    + " from refresh #%d; its cache keys stay until its next refresh", capacity, dropped.view(), dropped.runId());
        }
        waiting.put(request.view(), request);
    }

    /** The next invalidation to attempt, now in flight; null when none waits. */
    synchronized InvalidationRequest take() {
        Iterator<InvalidationRequest> oldest = waiting.values().iterator();
        if (!oldest.hasNext()) {
            return null;
        }
        inFlight = oldest.next();
        oldest.remove();
        metrics.pending(pending());
        return inFlight;
    }

    /** The in-flight invalidation is done. */
    synchronized void completed() {
        inFlight = null;
        metrics.pending(pending());
    }

    /**
     * The in-flight invalidation failed: it goes to the back of the line, so one view whose rule
     * keeps failing (a tag key that is not a set, say) cannot hold up the others; unless a newer
     * refresh of the same view arrived meanwhile, which supersedes it.
     */
    synchronized void failed(InvalidationRequest retry) {
        inFlight = null;
        waiting.putIfAbsent(retry.view(), retry);
        metrics.pending(pending());
    }

    /** Invalidations not done yet, the one in flight included: {@code mvrefresh_cache_invalidation_pending}. */
    public synchronized int pending() {
        return waiting.size() + (inFlight == null ? 0 : 1);
    }

    synchronized boolean isEmpty() {
        return waiting.isEmpty();
    }
}
