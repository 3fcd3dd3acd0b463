package io.mvrefresh.scheduling;

import io.mvrefresh.catalog.CatalogSnapshot;
import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.config.SettingsInEffect;
import io.mvrefresh.refresh.CompletedRun;
import io.mvrefresh.refresh.RefreshExecutor;
import io.mvrefresh.refresh.RefreshOutcome;
import io.mvrefresh.retry.Backoff;
import io.mvrefresh.runs.RunFinished;
import io.mvrefresh.runs.RunStarted;
import io.mvrefresh.state.RunHistory;
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
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Carries out the {@link SchedulingPolicy}'s decisions: feeds it stored state, catalog scans and
 * requests, allocates run ids, starts the runs it picks and reports how they ended. Everything the
 * policy holds is guarded by {@link #lock}; no I/O happens while it is held. What follows a run is
 * announced as events ({@link RunStarted}, {@link RunFinished}, {@link ViewsChanged}) for metrics,
 * the read model and cache invalidation to observe. The loop that ticks it is {@link TickLoop};
 * timers are the lifecycle's, armed at the instant {@link #onWakeUpChange} announces.
 */
@ApplicationScoped
public class Dispatcher {

    private final RefreshExecutor executor;
    private final RunHistory history;
    private final StateStore store;
    private final Event<RunStarted> runStarted;
    private final Event<RunFinished> runFinished;
    private final Event<ViewsChanged> viewsChanged;
    private final Event<ViewsKnown> viewsKnown;
    private final Clock clock;
    private final SettingsInEffect settings;

    private final Object lock = new Object();
    private final SchedulingPolicy policy;
    private final Set<String> reportedIgnoredDependsOn = new HashSet<>();

    /**
     * Work that has left the policy's sight but whose effects are not all visible yet: requests
     * waiting for their run ids, runs being finished (their observers and cascade still to come).
     */
    private final AtomicInteger inTransit = new AtomicInteger();

    private volatile boolean databaseReachable = true;
    private volatile Consumer<Optional<Instant>> wakeUpListener = at -> {};
    private Optional<Instant> announcedWakeUp = Optional.empty();

    public Dispatcher(RefreshExecutor executor, RunHistory history, StateStore store, Event<RunStarted> runStarted,
            Event<RunFinished> runFinished,
            Event<ViewsChanged> viewsChanged, Event<ViewsKnown> viewsKnown, Clock clock, SettingsInEffect settings,
            GlobalSettings config) {
        this.executor = executor;
        this.history = history;
        this.store = store;
        this.runStarted = runStarted;
        this.runFinished = runFinished;
        this.viewsChanged = viewsChanged;
        this.viewsKnown = viewsKnown;
        this.clock = clock;
        this.settings = settings;
        this.policy = new SchedulingPolicy(new SchedulingPolicy.Limits(config.concurrency(),
                config.scheduler().reservedForCritical(), config.scheduler().aging(), Backoff::jitter));
    }

    /**
     * Takes a new catalog scan: views that appeared become known, configured views that do not
     * exist are marked missing, discovered views that disappeared are forgotten.
     */
    public void applyCatalog(CatalogSnapshot snapshot) {
        CatalogChanges changes;
        Instant now = clock.instant();
        Map<ViewId, String> comments = new HashMap<>();
        snapshot.views().forEach((view, found) -> comments.put(view, found.comment()));
        settings.applyComments(comments, now);
        synchronized (lock) {
            changes = policy.applyCatalog(snapshot, settings.configuredViews(), settings::settingsFor, now);
        }
        changes.missing().forEach(view -> Log
                .warnf("view %s is configured but does not exist in PostgreSQL; it is skipped until it is created", view));
        for (String ignored : changes.ignoredDependsOn()) {
            if (reportedIgnoredDependsOn.add(ignored)) {
                Log.error(ignored);
            }
        }
        startWhatMayStart();
        viewsKnown.fire(new ViewsKnown(read(SchedulingPolicy::known)));
    }

    /** Takes {@code view_state} rows read by a tick (older copies than those held are ignored). */
    void applyStored(Collection<ViewState> rows) {
        Instant now = clock.instant();
        synchronized (lock) {
            rows.forEach(row -> policy.applyStored(row, now));
        }
    }

    /** The views due now with nothing queued or running. */
    List<SchedulingPolicy.Due> due() {
        return read(policy -> policy.due(clock.instant()));
    }

    /** Relations (oids) whose write counters moved, seen at {@code at}: their readers have changes to catch up with. */
    public void relationsChanged(Collection<Long> relations, Instant at) {
        change(policy -> policy.relationsChanged(relations, at));
    }

    /** Tables a notification named as written, at {@code at}. */
    public void tablesChanged(Collection<ViewId> tables, Instant at) {
        change(policy -> policy.tablesChanged(tables, at));
    }

    /** Views with a freshness target whose changes can be detected. */
    public Set<ViewId> targetedViews() {
        return read(SchedulingPolicy::targetedViews);
    }

    /** Treats these views as changed now, so a check of each finds writes made while nobody watched. */
    public void assumeChanged(Collection<ViewId> views) {
        change(policy -> policy.assumeChanged(views, clock.instant()));
    }

    /** The relations whose write counters to watch: of views with a target, or ({@code all}) of every watchable view. */
    public Set<Long> watchedRelations(boolean all) {
        return read(policy -> policy.watchedRelations(all));
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
            startWhatMayStart();
            return Uni.createFrom().item(admissions);
        }
        inTransit.incrementAndGet();
        return history.allocateRunIds(needIds).eventually(inTransit::decrementAndGet).map(ids -> {
            synchronized (lock) {
                Instant now = clock.instant();
                int next = 0;
                for (int i = 0; i < admissions.size(); i++) {
                    if (admissions.get(i) instanceof Admission.NeedsRunId) {
                        admissions.set(i, policy.request(targets.get(i), trigger, ids.get(next++), now));
                    }
                }
            }
            startWhatMayStart();
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
            startWhatMayStart();
            return snapshot(view);
        });
    }

    /** Every known view, configured or discovered, sorted by name. */
    public List<ViewSnapshot> snapshots() {
        return read(policy -> policy.snapshots(clock.instant()));
    }

    /** Which views each view reads directly, as refreshes are ordered by: the edges of the dependency graph. */
    public Map<ViewId, Set<ViewId>> sources() {
        return read(SchedulingPolicy::sources);
    }

    /** One view, when known. */
    public Optional<ViewSnapshot> snapshot(ViewId view) {
        return read(policy -> policy.snapshot(view, clock.instant()));
    }

    /** Queued runs of views with {@code priority} (their configured priority), right now. */
    public int queued(Priority priority) {
        return read(policy -> policy.queued(priority));
    }

    /** Refreshes in progress right now. */
    public int inFlight() {
        return read(SchedulingPolicy::running);
    }

    /** Whether nothing is queued, running or on its way (a request waiting for its run id, a run being finished). */
    public boolean idle() {
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

    /** Whether PostgreSQL answered the last time it was asked. */
    public boolean databaseReachable() {
        return databaseReachable;
    }

    /** PostgreSQL answered ({@code true}) or not: while it does not, nothing starts and no wake-up is armed. */
    void databaseReachable(boolean reachable) {
        databaseReachable = reachable;
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
        change(SchedulingPolicy::stop);
    }

    /** Reads the policy under the lock. */
    private <T> T read(Function<SchedulingPolicy, T> reading) {
        synchronized (lock) {
            return reading.apply(policy);
        }
    }

    /** Changes the policy under the lock, then carries out what follows: starts, drops, a new wake-up. */
    private void change(Consumer<SchedulingPolicy> changing) {
        synchronized (lock) {
            changing.accept(policy);
        }
        startWhatMayStart();
    }

    /** Starts what may start, tells callers of dropped runs, announces a changed wake-up. Cheap: runs after every change. */
    void startWhatMayStart() {
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
        List<ViewSnapshot> touched;
        synchronized (lock) {
            touched = policy.drainTouched(clock.instant());
        }
        if (!touched.isEmpty()) {
            viewsChanged.fire(new ViewsChanged(touched));
        }
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
        runStarted.fire(new RunStarted(start.job(), Duration.between(ticket.queuedAt(), clock.instant())));
        executor.execute(start.job()).subscribe().with(run -> finished(ticket, run), failure -> {
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
        if (run != null && run.outcome() instanceof RefreshOutcome.Failed failed && failed.connectionLost()
                && databaseReachable) {
            databaseReachable = false;
            Log.warnf("dispatcher: lost PostgreSQL (%s); dispatching paused until it is back", failed.error());
        }
        if (run == null) {
            ticket.result().completeExceptionally(new IllegalStateException("run ended without an outcome"));
        } else if (!(run.outcome() instanceof RefreshOutcome.WaitingForRelated)) {
            // (A run waiting for a related view elsewhere is not over: the same run is tried again once
            // that refresh is done, and its callers learn its outcome then; the executor logged why.)
            ticket.result().complete(run);
            try {
                runFinished.fire(new RunFinished(run));
            } catch (RuntimeException e) {
                Log.errorf(e, "%s: a run-finished observer failed", run.job().logPrefix());
            }
        }
        if (!finished.readers().isEmpty()) {
            requestAll(finished.readers(), Trigger.DEPENDENCY).subscribe().with(admissions -> {},
                    failure -> Log.warnf("could not queue %s after their upstream %s was refreshed: %s", finished.readers(),
                            ticket.view(), failure.getMessage()));
        }
        startWhatMayStart();
    }
}
