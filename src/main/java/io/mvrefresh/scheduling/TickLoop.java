package io.mvrefresh.scheduling;

import io.mvrefresh.config.DurationText;
import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.state.StateStore;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The dispatcher's loop: a tick reads what changed in {@code view_state} (so replicas and restarts
 * agree on what is due), hands it to the {@link Dispatcher}, requests the views that are due and
 * starts what may start. One tick runs at a time: a tick asked for while one runs makes exactly
 * one more after it, however many asked. Liveness is judged by the ticks it completes.
 */
@ApplicationScoped
public class TickLoop {

    private final Dispatcher dispatcher;
    private final StateStore store;
    private final Clock clock;
    private final Duration tickTimeout;

    private final Object tickGuard = new Object();
    private boolean ticking;
    private CompletableFuture<Void> tickAgain;
    private boolean firstTickDone;
    /** Where the next read of view_state starts (StateStore#viewStatesWrittenSince); 0 reads it all. */
    private volatile long stateHorizon;

    private final AtomicLong ticksCompleted = new AtomicLong();
    private volatile Instant lastTickCompletedAt;

    public TickLoop(Dispatcher dispatcher, StateStore store, Clock clock, GlobalSettings config) {
        this.dispatcher = dispatcher;
        this.store = store;
        this.clock = clock;
        this.tickTimeout = config.health().livenessTimeout().dividedBy(3);
    }

    /**
     * One pass of the loop. The answer completes when the tick (or, when one was running, the one
     * after it) has; it starts at once, whether or not the Uni is subscribed to.
     */
    public Uni<Void> tick() {
        CompletableFuture<Void> done;
        synchronized (tickGuard) {
            if (ticking) {
                if (tickAgain == null) {
                    tickAgain = new CompletableFuture<>();
                }
                return Uni.createFrom().completionStage(tickAgain);
            }
            ticking = true;
            done = new CompletableFuture<>();
        }
        runTick(done);
        return Uni.createFrom().completionStage(done);
    }

    private void runTick(CompletableFuture<Void> done) {
        oneTick().subscribe().with(ignored -> tickEnded(done), failure -> {
            Log.errorf(failure, "dispatcher: tick failed");
            tickEnded(done);
        });
    }

    private void tickEnded(CompletableFuture<Void> done) {
        CompletableFuture<Void> again;
        synchronized (tickGuard) {
            again = tickAgain;
            tickAgain = null;
            ticking = again != null;
        }
        done.complete(null);
        if (again != null) {
            runTick(again);
        }
    }

    private Uni<Void> oneTick() {
        // After an outage everything is read again: the server may be another one (a failover).
        long since = dispatcher.databaseReachable() ? stateHorizon : 0;
        return store.viewStatesWrittenSince(since)
                .ifNoItem()
                .after(tickTimeout)
                .failWith(() -> new IllegalStateException("no answer from PostgreSQL within " + DurationText.of(tickTimeout)))
                .invoke(changes -> {
                    if (!dispatcher.databaseReachable()) {
                        Log.info("dispatcher: PostgreSQL is reachable again, dispatching resumes");
                    }
                    dispatcher.databaseReachable(true);
                    // A horizon going back means another server (restored, or a new cluster): read all next time.
                    stateHorizon = Long.compareUnsigned(changes.horizon(), since) >= 0 ? changes.horizon() : 0;
                    dispatcher.applyStored(changes.states());
                })
                .flatMap(ignored -> queueDue())
                .onFailure()
                .recoverWithUni(failure -> {
                    if (dispatcher.databaseReachable()) {
                        Log.warnf(
                                "dispatcher: PostgreSQL unreachable (%s); dispatching paused until it is back",
                                failure.getMessage());
                    }
                    dispatcher.databaseReachable(false);
                    return Uni.createFrom().voidItem();
                })
                .invoke(() -> {
                    dispatcher.startWhatMayStart();
                    lastTickCompletedAt = clock.instant();
                    ticksCompleted.incrementAndGet();
                });
    }

    /** Requests every view that is due, grouped by trigger: {@code startup} instead of {@code schedule} on the first tick. */
    private Uni<Void> queueDue() {
        boolean startup;
        synchronized (tickGuard) {
            startup = !firstTickDone;
            firstTickDone = true;
        }
        Map<Trigger, List<ViewId>> byTrigger = new EnumMap<>(Trigger.class);
        for (SchedulingPolicy.Due view : dispatcher.due()) {
            Trigger trigger = startup && view.trigger() == Trigger.SCHEDULE ? Trigger.STARTUP : view.trigger();
            byTrigger.computeIfAbsent(trigger, key -> new ArrayList<>()).add(view.view());
        }
        Uni<Void> requested = Uni.createFrom().voidItem();
        for (Map.Entry<Trigger, List<ViewId>> group : byTrigger.entrySet()) {
            requested = requested.call(() -> dispatcher.requestAll(group.getValue(), group.getKey()));
        }
        return requested;
    }

    /**
     * Whether nothing is queued, running, ticking or on its way (a request waiting for its run id,
     * such as the cascade after a refresh): what tests wait for.
     */
    public boolean settled() {
        synchronized (tickGuard) {
            if (ticking) {
                return false;
            }
        }
        return dispatcher.idle();
    }

    /** When a tick last completed, whatever PostgreSQL did; liveness is judged by it. Null before the first. */
    public Instant lastTickCompletedAt() {
        return lastTickCompletedAt;
    }

    /** How many ticks have completed since start. */
    public long ticksCompleted() {
        return ticksCompleted.get();
    }
}
