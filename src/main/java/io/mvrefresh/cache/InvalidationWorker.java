package io.mvrefresh.cache;

import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.metrics.CacheMetrics;
import io.mvrefresh.refresh.RefreshOutcome;
import io.mvrefresh.retry.Backoff;
import io.mvrefresh.runs.RunFinished;
import io.mvrefresh.runs.RunInvalidated;
import io.mvrefresh.state.OwedInvalidationStore;
import io.mvrefresh.state.RunRecord;
import io.quarkus.logging.Log;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Drains the {@link InvalidationQueue} one invalidation at a time, in commit order, so Redis trouble
 * (or a standby replaying slowly, see {@link StandbyReplay}) never reaches a refresh: a refresh only
 * enqueues. An attempt that fails is retried after an exponential
 * backoff with jitter (250 ms doubling up to 30 s); the first success drains the rest at once.
 */
@ApplicationScoped
public class InvalidationWorker {

    static final Backoff RETRY = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30));

    private final InvalidationQueue queue;
    private final CacheInvalidator invalidator;
    private final StandbyReplay replay;
    private final CacheMetrics metrics;
    private final OwedInvalidationStore store;
    private final Vertx vertx;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile int consecutiveFailures;
    private volatile boolean stopped;

    private final Event<RunInvalidated> invalidated;
    private final boolean logSuccesses;
    private final Clock clock;

    public InvalidationWorker(InvalidationQueue queue, CacheInvalidator invalidator, StandbyReplay replay, CacheMetrics metrics,
            OwedInvalidationStore store, Event<RunInvalidated> invalidated, GlobalSettings settings, Clock clock, Vertx vertx) {
        this.replay = replay;
        this.invalidated = invalidated;
        this.logSuccesses = settings.log().successes();
        this.clock = clock;
        this.queue = queue;
        this.invalidator = invalidator;
        this.metrics = metrics;
        this.store = store;
        this.vertx = vertx;
    }

    /**
     * A committed refresh of a view with invalidation rules queues its invalidation: Redis never
     * delays a refresh. One that changed no row leaves every key (and publishes nothing): what the
     * keys hold is still what the view holds.
     */
    void onRunFinished(@Observes RunFinished finished) {
        if (finished.run().owesInvalidation() && finished.run().outcome() instanceof RefreshOutcome.Refreshed refreshed) {
            RunRecord record = finished.run().record();
            submit(InvalidationRequest.of(record.view(), record.id(), record.finishedAt(),
                    refreshed.walPosition() > 0 ? refreshed.walPosition() : InvalidationRequest.POSITION_UNKNOWN,
                    finished.settings().invalidation()).tracedBy(finished.run().trace()));
        }
    }

    /** Queues the invalidation of a committed refresh and makes sure it is being worked on. */
    public void submit(InvalidationRequest request) {
        queue.offer(request);
        wake();
    }

    /** No new attempt starts after this; answers how many invalidations are left undone. */
    public int stop() {
        stopped = true;
        return queue.pending();
    }

    private void wake() {
        if (!stopped && busy.compareAndSet(false, true)) {
            next();
        }
    }

    private void next() {
        InvalidationRequest request = stopped ? null : queue.take();
        if (request == null) {
            busy.set(false);
            // An offer may have slipped in between take() and the flag going down.
            if (!stopped && !queue.isEmpty()) {
                wake();
            }
            return;
        }
        AtomicLong removed = new AtomicLong(request.removedSoFar());
        request.trace().step("replica wait", () -> replay.awaitReplayed(request))
                .flatMap(replayed -> request.trace().step("invalidation", () -> invalidator.invalidate(request, removed)))
                .subscribe().with(ignored -> succeeded(request, removed.get()),
                        failure -> failed(request.failedOnce(removed.get()), failure));
    }

    private void succeeded(InvalidationRequest request, long removed) {
        queue.completed();
        if (consecutiveFailures > 0) {
            Log.infof("cache invalidation works again (Redis reachable); %d pending", queue.pending());
        }
        consecutiveFailures = 0;
        Log.logf(logSuccesses ? Logger.Level.INFO : Logger.Level.DEBUG,
                "refresh #%d %s: invalidated %d cache key(s) %d ms after its commit%s", request.runId(), request.view().quoted(),
                removed, Duration.between(request.refreshedAt(), clock.instant()).toMillis(),
                request.trace().logSuffix());
        request.trace().attribute("mvrefresh.keys_invalidated", removed).end();
        // /admin/views and ?wait= answers show the count from now on.
        invalidated.fire(new RunInvalidated(request.view(), request.runId(), removed));
        store.invalidationDone(request.view(), request.runId(), removed).subscribe().with(ignored -> {},
                // Still owed in view_state: it is done again later, which is harmless.
                failure -> Log.warnf("refresh #%d %s: %d cache key(s) invalidated, but recording it failed: %s", request.runId(),
                        request.view().quoted(), removed, failure.getMessage()));
        next();
    }

    private void failed(InvalidationRequest retry, Throwable failure) {
        queue.failed(retry);
        metrics.attemptFailed(retry.view().toString());
        int failures = ++consecutiveFailures;
        long delay = RETRY.delay(failures).toMillis();
        Log.warnf("refresh #%d %s: cache invalidation failed (attempt %d): %s. Retrying in %d ms; %d invalidation(s) pending",
                retry.runId(), retry.view().quoted(), retry.attempts(), describe(failure), delay, queue.pending());
        vertx.setTimer(delay, id -> next());
    }

    /** Some client errors carry only a key name as their message; the type says what happened. */
    private static String describe(Throwable failure) {
        return failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
    }
}
