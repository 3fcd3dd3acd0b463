package io.mvrefresh.scheduling;

import io.mvrefresh.catalog.CatalogSnapshot;
import io.mvrefresh.config.DurationText;
import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.config.ViewSettingsResolver;
import io.mvrefresh.metrics.RefreshMetrics;
import io.mvrefresh.metrics.ViewMetrics;
import io.mvrefresh.refresh.CompletedRun;
import io.mvrefresh.refresh.RefreshExecutor;
import io.mvrefresh.refresh.RefreshOutcome;
import io.mvrefresh.state.StateStore;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Carries out the {@link SchedulingPolicy}'s decisions: feeds it stored state and requests,
 * allocates run ids, starts the runs it picks and reports how they ended. Everything the policy
 * holds is guarded by {@link #lock}; no I/O happens while it is held. Timers are not here: the
 * lifecycle ticks the dispatcher and arms a wake-up at the instant {@link #onWakeUpChange}
 * announces.
 */
@ApplicationScoped
public class Dispatcher {

    private final RefreshExecutor executor;
    private final StateStore store;
    private final RefreshMetrics metrics;
    private final ViewMetrics viewMetrics;
    private final Event<RunFinished> runFinished;
    private final Clock clock;
    private final ViewSettingsResolver resolver;
    private final Duration tickTimeout;

    private final Object lock = new Object();
    private final SchedulingPolicy policy;
    private final Set<String> reportedIgnoredDependsOn = new HashSet<>();
    private final Set<ViewId> targetWarned = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private boolean firstTickDone;

    private final Object tickGuard = new Object();
    private boolean ticking;
    private CompletableFuture<Void> tickAgain;

    /**
     * Work that has left the policy's sight but whose effects are not all visible yet: requests
     * waiting for their run ids, runs being finished (their observers and cascade still to come).
     */
    private final java.util.concurrent.atomic.AtomicInteger inTransit = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong ticksCompleted = new java.util.concurrent.atomic.AtomicLong();
    private volatile Instant lastTickCompletedAt;
    private volatile boolean databaseReachable = true;
    private volatile Consumer<Optional<Instant>> wakeUpListener = at -> { };
    /** Where the next read of view_state starts (StateStore#viewStatesWrittenSince); 0 reads it all. */
    private volatile long stateHorizon;
    private Optional<Instant> announcedWakeUp = Optional.empty();

    public Dispatcher(RefreshExecutor executor, StateStore store, RefreshMetrics metrics, ViewMetrics viewMetrics,
            Event<RunFinished> runFinished, Clock clock, ViewSettingsResolver resolver, GlobalSettings config) {
        this.executor = executor;
        this.store = store;
        this.metrics = metrics;
        this.viewMetrics = viewMetrics;
        this.runFinished = runFinished;
        this.clock = clock;
        this.resolver = resolver;
        this.tickTimeout = config.health().livenessTimeout().dividedBy(3);
        this.policy = new SchedulingPolicy(new SchedulingPolicy.Limits(config.concurrency(), config.scheduler().reservedForCritical(),
                config.scheduler().aging(), () -> ThreadLocalRandom.current().nextDouble(0.8, 1.2)));
        metrics.registerSchedulerGauges(this::inFlight, this::queued);
    }

    /**
     * Takes a new catalog scan: views that appeared become known, configured views that do not
     * exist are marked missing, discovered views that disappeared are forgotten.
     */
    public void applyCatalog(CatalogSnapshot snapshot) {
        SchedulingPolicy.CatalogChanges changes;
        synchronized (lock) {
            changes = policy.applyCatalog(snapshot, resolver.configuredViews().values(), resolver::settingsFor, clock.instant());
        }
        changes.missing().forEach(view -> Log.warnf(
                "view %s is configured but does not exist in PostgreSQL; it is skipped until it is created", view));
        for (String ignored : changes.ignoredDependsOn()) {
            if (reportedIgnoredDependsOn.add(ignored)) {
                Log.error(ignored);
            }
        }
        afterChange();
        Set<String> known = new HashSet<>();
        snapshots().forEach(view -> known.add(view.settings().view().toString()));
        viewMetrics.retainOnly(known);
    }

    /** Loads each view's last run from history, so {@code /admin/views} shows it after a restart. */
    public Uni<Void> loadHistory() {
        return store.latestRunPerView().invoke(latest -> {
            synchronized (lock) {
                policy.applyLastRuns(latest);
            }
        }).replaceWithVoid();
    }

    /**
     * One pass of the loop: reads the stored state (so replicas and restarts agree on what is
     * due), queues the views that are due and starts as many as there are free slots. One tick
     * runs at a time: a tick asked for while one runs makes exactly one more after it, and the
     * answer completes when that one has. Starts at once, whether or not the Uni is subscribed to.
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
        long since = databaseReachable ? stateHorizon : 0;
        return store.viewStatesWrittenSince(since)
                .ifNoItem().after(tickTimeout).failWith(() -> new IllegalStateException(
                        "no answer from PostgreSQL within " + DurationText.of(tickTimeout)))
                .invoke(changes -> {
                    if (!databaseReachable) {
                        Log.info("dispatcher: PostgreSQL is reachable again, dispatching resumes");
                    }
                    databaseReachable = true;
                    // A horizon going back means another server (restored, or a new cluster): read everything next time.
                    stateHorizon = Long.compareUnsigned(changes.horizon(), since) >= 0 ? changes.horizon() : 0;
                    Instant now = clock.instant();
                    synchronized (lock) {
                        changes.states().forEach(row -> policy.applyStored(row, now));
                    }
                })
                .flatMap(ignored -> queueDue())
                .onFailure().recoverWithUni(failure -> {
                    if (databaseReachable) {
                        Log.warnf("dispatcher: PostgreSQL unreachable (%s); dispatching paused until it is back", failure.getMessage());
                    }
                    databaseReachable = false;
                    return Uni.createFrom().voidItem();
                })
                .invoke(() -> {
                    afterChange();
                    lastTickCompletedAt = clock.instant();
                    ticksCompleted.incrementAndGet();
                });
    }

    private Uni<Void> queueDue() {
        List<SchedulingPolicy.Due> due;
        boolean startup;
        synchronized (lock) {
            due = policy.due(clock.instant());
            startup = !firstTickDone;
            firstTickDone = true;
        }
        Map<Trigger, List<ViewId>> byTrigger = new EnumMap<>(Trigger.class);
        for (SchedulingPolicy.Due view : due) {
            Trigger trigger = startup && view.trigger() == Trigger.SCHEDULE ? Trigger.STARTUP : view.trigger();
            byTrigger.computeIfAbsent(trigger, key -> new ArrayList<>()).add(view.view());
        }
        Uni<Void> requested = Uni.createFrom().voidItem();
        for (Map.Entry<Trigger, List<ViewId>> group : byTrigger.entrySet()) {
            requested = requested.call(() -> requestAll(group.getValue(), group.getKey()));
        }
        return requested;
    }

    /** Relations (oids) whose write counters moved, seen at {@code at}: their readers have changes to catch up with. */
    public void relationsChanged(java.util.Collection<Long> relations, Instant at) {
        synchronized (lock) {
            policy.relationsChanged(relations, at);
        }
        afterChange();
    }

    /** Tables a notification named as written, at {@code at}. */
    public void tablesChanged(java.util.Collection<ViewId> tables, Instant at) {
        synchronized (lock) {
            policy.tablesChanged(tables, at);
        }
        afterChange();
    }

    /** Views with a freshness target whose changes can be detected. */
    public Set<ViewId> targetedViews() {
        synchronized (lock) {
            return policy.targetedViews();
        }
    }

    /** Treats these views as changed now, so a check of each finds writes made while nobody watched. */
    public void assumeChanged(java.util.Collection<ViewId> views) {
        synchronized (lock) {
            policy.assumeChanged(views, clock.instant());
        }
        afterChange();
    }

    /** The relations whose write counters to watch: of views with a target, or ({@code all}) of every watchable view. */
    public Set<Long> watchedRelations(boolean all) {
        synchronized (lock) {
            return policy.watchedRelations(all);
        }
    }

    /**
     * Asks for a refresh of {@code view} now. Admission (unknown, missing, disabled, paused,
     * joining a queued run, a follow-up of a running one) is the policy's; a new run gets its id
     * from PostgreSQL first.
     */
    public Uni<Admission> request(ViewId view, Trigger trigger) {
        return requestAll(List.of(view), trigger).map(List::getFirst);
    }

    /** {@link #request} for many views at once, with one round trip for all new run ids; answers in order. */
    public Uni<List<Admission>> requestAll(List<ViewId> targets, Trigger trigger) {
        if (targets.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<Admission> admissions = new ArrayList<>(targets.size());
        int needIds = 0;
        synchronized (lock) {
            Instant now = clock.instant();
            for (ViewId view : targets) {
                Admission admission = policy.admit(view, trigger, now);
                admissions.add(admission);
                if (admission instanceof Admission.NeedsRunId) {
                    needIds++;
                }
            }
        }
        if (needIds == 0) {
            afterChange();
            return Uni.createFrom().item(admissions);
        }
        inTransit.incrementAndGet();
        return store.allocateRunIds(needIds).eventually(inTransit::decrementAndGet).map(ids -> {
            synchronized (lock) {
                Instant now = clock.instant();
                int next = 0;
                for (int i = 0; i < admissions.size(); i++) {
                    if (admissions.get(i) instanceof Admission.NeedsRunId) {
                        admissions.set(i, policy.request(targets.get(i), trigger, ids.get(next++), now));
                    }
                }
            }
            afterChange();
            return admissions;
        });
    }

    /**
     * Pauses or resumes {@code view}: stored first (so every replica and a restart see it), then
     * applied from the row PostgreSQL answers. A queued run of a paused view is dropped; a running
     * one finishes. Empty when the view is unknown.
     */
    public Uni<Optional<ViewSnapshot>> setPaused(ViewId view, boolean paused) {
        if (snapshot(view).isEmpty()) {
            return Uni.createFrom().item(Optional.empty());
        }
        return store.setPaused(view, paused).map(row -> {
            synchronized (lock) {
                policy.applyStored(row, clock.instant());
            }
            Log.infof("view %s %s", view, paused ? "paused" : "resumed");
            afterChange();
            return snapshot(view);
        });
    }

    /** The invalidation of {@code view}'s run {@code runId} removed {@code keys} cache keys. */
    public void invalidated(ViewId view, long runId, long keys) {
        synchronized (lock) {
            policy.invalidated(view, runId, keys);
        }
    }

    /** Every known view, configured or discovered, sorted by name. */
    public List<ViewSnapshot> snapshots() {
        synchronized (lock) {
            return policy.snapshots(clock.instant());
        }
    }

    /** One view, when known. */
    public Optional<ViewSnapshot> snapshot(ViewId view) {
        synchronized (lock) {
            return policy.snapshot(view, clock.instant());
        }
    }

    /** Queued runs of views with {@code priority} (their configured priority), right now. */
    public int queued(Priority priority) {
        synchronized (lock) {
            return policy.queued(priority);
        }
    }

    /** Refreshes in progress right now. */
    public int inFlight() {
        synchronized (lock) {
            return policy.running();
        }
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
        synchronized (lock) {
            if (policy.running() > 0 || inTransit.get() > 0) {
                return false;
            }
            for (Priority priority : Priority.values()) {
                if (policy.queued(priority) > 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /** When a tick last completed, whatever PostgreSQL did; liveness is judged by it. Null before the first. */
    public Instant lastTickCompletedAt() {
        return lastTickCompletedAt;
    }

    /** How many ticks have completed since start. */
    public long ticksCompleted() {
        return ticksCompleted.get();
    }

    /** Whether the last tick could read PostgreSQL. */
    public boolean databaseReachable() {
        return databaseReachable;
    }

    /**
     * Calls {@code listener} with the instant the earliest idle view falls due whenever that
     * changes (empty: none will), so the lifecycle can wake the dispatcher exactly then.
     */
    public void onWakeUpChange(Consumer<Optional<Instant>> listener) {
        wakeUpListener = listener;
        Optional<Instant> at;
        synchronized (lock) {
            at = policy.nextWakeUp();
            announcedWakeUp = at;
        }
        listener.accept(at);
    }

    /** No refresh starts and no request is accepted after this; runs in progress finish on their own. */
    public void stop() {
        synchronized (lock) {
            policy.stop();
        }
        afterChange();
    }

    /** Starts what may start, tells callers of dropped runs, announces a changed wake-up. Cheap: runs after every change. */
    private void afterChange() {
        dispatch();
        List<Ticket> dropped;
        Optional<Instant> wakeUp;
        boolean changed;
        synchronized (lock) {
            dropped = policy.drainDropped();
            wakeUp = policy.nextWakeUp();
            changed = !wakeUp.equals(announcedWakeUp);
            announcedWakeUp = wakeUp;
        }
        dropped.forEach(ticket -> ticket.result().completeExceptionally(new RunDropped(ticket)));
        // Without PostgreSQL an overdue view would wake the loop at once after every failed tick:
        // a busy loop against a database that is down. The poll retries at its own pace.
        if (changed && databaseReachable) {
            wakeUpListener.accept(wakeUp);
        }
        publishViewMetrics();
    }

    private void dispatch() {
        // Without PostgreSQL every start would fail the same way; the next tick that reaches it
        // turns dispatching back on.
        if (!databaseReachable) {
            return;
        }
        List<SchedulingPolicy.Start> starts;
        synchronized (lock) {
            starts = policy.startNext(clock.instant());
        }
        starts.forEach(this::start);
    }

    private void start(SchedulingPolicy.Start start) {
        Ticket ticket = start.ticket();
        metrics.queueWait(start.job().settings().priority(), Duration.between(ticket.queuedAt(), clock.instant()));
        executor.execute(start.job()).subscribe().with(
                run -> finished(ticket, run),
                failure -> {
                    // The executor turns every failure into an outcome; reaching this is a bug, but the
                    // slot must still be given back or the dispatcher would stall.
                    Log.errorf(failure, "%s ended unexpectedly", start.job().logPrefix());
                    finished(ticket, null);
                });
    }

    private void finished(Ticket ticket, CompletedRun run) {
        inTransit.incrementAndGet();
        try {
            finishedInTransit(ticket, run);
        } finally {
            inTransit.decrementAndGet();
        }
    }

    private void finishedInTransit(Ticket ticket, CompletedRun run) {
        SchedulingPolicy.Finished finished;
        synchronized (lock) {
            finished = policy.finish(ticket, run, clock.instant());
        }
        if (run != null && run.outcome() instanceof RefreshOutcome.Failed failed && failed.connectionLost() && databaseReachable) {
            databaseReachable = false;
            Log.warnf("dispatcher: lost PostgreSQL (%s); dispatching paused until it is back", failed.error());
        }
        if (run != null) {
            ticket.result().complete(run);
            try {
                runFinished.fire(new RunFinished(run));
            } catch (RuntimeException e) {
                Log.errorf(e, "%s: a run-finished observer failed", run.job().logPrefix());
            }
        } else {
            ticket.result().completeExceptionally(new IllegalStateException("run ended without an outcome"));
        }
        if (!finished.readers().isEmpty()) {
            requestAll(finished.readers(), Trigger.DEPENDENCY).subscribe().with(
                    admissions -> { },
                    failure -> Log.warnf("could not queue %s after their upstream %s was refreshed: %s", finished.readers(),
                            ticket.view(), failure.getMessage()));
        }
        afterChange();
    }

    private void publishViewMetrics() {
        List<ViewSnapshot> changed;
        synchronized (lock) {
            changed = policy.drainTouched(clock.instant());
        }
        for (ViewSnapshot view : changed) {
            ViewState state = view.state();
            Optional<Duration> period = view.settings().schedule() instanceof io.mvrefresh.config.Schedule.OnChange
                    ? Optional.empty()
                    : Optional.of(view.settings().schedule().period(view.observedAt()));
            viewMetrics.publish(view.settings().view().toString(), new ViewMetrics.Values(state.freshAsOf(), state.lastSuccessAt(),
                    view.lastRefreshDuration(), period, view.settings().maxStaleness(), view.watchable(), view.changedSince(),
                    state.paused(), view.settings().enabled(), view.catalogView() == null, state.consecutiveFailures()));
            String unmeetable = view.targetUnmeetable();
            if (unmeetable != null && targetWarned.add(view.settings().view())) {
                Log.warnf("view %s: %s; raise max-staleness, lower min-interval or make the refresh cheaper", view.settings().view(),
                        unmeetable);
            } else if (unmeetable == null) {
                targetWarned.remove(view.settings().view());
            }
        }
    }

    /** A queued run that never started: its view was paused, disabled, dropped, or mvrefresh stopped. */
    public static final class RunDropped extends RuntimeException {
        RunDropped(Ticket ticket) {
            super(ticket + " was dropped before it started (the view was paused or disappeared, or mvrefresh is stopping)",
                    null, false, false);
        }
    }
}
