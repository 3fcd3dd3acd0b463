package io.mvrefresh.scheduling;

import io.mvrefresh.cache.InvalidationRequest;
import io.mvrefresh.cache.InvalidationWorker;
import io.mvrefresh.catalog.CatalogSnapshot;
import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.catalog.ViewId;
import io.mvrefresh.config.DurationText;
import io.mvrefresh.config.MvRefreshConfig;
import io.mvrefresh.config.Priority;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.config.ViewSettingsResolver;
import io.mvrefresh.observability.RefreshMetrics;
import io.mvrefresh.refresh.CompletedRun;
import io.mvrefresh.refresh.RefreshExecutor;
import io.mvrefresh.refresh.RefreshOutcome;
import io.mvrefresh.state.RunRecord;
import io.mvrefresh.state.StateStore;
import io.mvrefresh.state.Trigger;
import io.mvrefresh.state.ViewState;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import io.vertx.mutiny.core.Vertx;

/**
 * Decides which views refresh when, and starts them: at most {@code mvrefresh.concurrency} at
 * once, highest (aged) priority first, never a view beside one it reads or that reads it.
 * {@code scheduling/DESIGN.md} explains the rules. All state is guarded by {@link #lock}; no I/O
 * happens while it is held.
 */
@ApplicationScoped
public class Dispatcher {

    private final RefreshExecutor executor;
    private final StateStore store;
    private final InvalidationWorker invalidations;
    private final RefreshMetrics metrics;
    private final Clock clock;
    private final ViewSettingsResolver resolver;
    private final int concurrency;
    private final Duration aging;
    private final Duration pollInterval;
    private final Duration tickTimeout;
    private final Vertx vertx;
    private final AtomicReference<Long> wakeUpTimer = new AtomicReference<>();

    private static final Duration LOCKED_RETRY = Duration.ofSeconds(15);

    private final Object lock = new Object();
    private final Map<ViewId, ViewRuntime> views = new HashMap<>();
    private DependencyGraph graph = DependencyGraph.EMPTY;
    private int running;
    private boolean firstTickDone;
    private boolean stopped;

    private volatile Instant lastTickCompletedAt;
    private volatile boolean databaseReachable = true;

    public Dispatcher(RefreshExecutor executor, StateStore store, InvalidationWorker invalidations, RefreshMetrics metrics,
            Clock clock, ViewSettingsResolver resolver, MvRefreshConfig config, Vertx vertx) {
        this.vertx = vertx;
        this.pollInterval = config.scheduler().pollInterval();
        this.tickTimeout = config.health().livenessTimeout().dividedBy(3);
        this.executor = executor;
        this.store = store;
        this.invalidations = invalidations;
        this.metrics = metrics;
        this.clock = clock;
        this.resolver = resolver;
        this.concurrency = config.concurrency();
        this.aging = config.scheduler().aging();
    }

    /**
     * Takes a new catalog scan: views that appeared become known, configured views that do not
     * exist are marked missing, discovered views that disappeared are forgotten.
     */
    public void applyCatalog(CatalogSnapshot snapshot) {
        synchronized (lock) {
            for (ViewSettings configured : resolver.configuredViews().values()) {
                ViewRuntime runtime = views.computeIfAbsent(configured.view(),
                        id -> new ViewRuntime(configured, ViewState.initial(id)));
                CatalogView found = snapshot.views().get(configured.view());
                if (found == null && !runtime.missingReported) {
                    Log.warnf("view %s is configured but does not exist in PostgreSQL; it is skipped until it is created",
                            configured.view());
                }
                runtime.missingReported = found == null;
                runtime.catalogView = found;
            }
            snapshot.views().forEach((id, view) -> {
                views.computeIfAbsent(id, key -> new ViewRuntime(resolver.settingsFor(key), ViewState.initial(key))).catalogView = view;
            });
            views.entrySet().removeIf(entry -> !entry.getValue().settings.configured()
                    && !snapshot.views().containsKey(entry.getKey())
                    && entry.getValue().running == null);
            graph = DependencyGraph.of(snapshot.views().values(), resolver::settingsFor);
        }
    }

    /** Loads each view's last run from history, so {@code /admin/views} shows it after a restart. */
    public Uni<Void> loadHistory() {
        return store.latestRunPerView().invoke(latest -> {
            synchronized (lock) {
                latest.forEach((id, run) -> {
                    ViewRuntime runtime = views.get(id);
                    if (runtime != null && runtime.lastRun == null) {
                        runtime.lastRun = run;
                    }
                });
            }
        }).replaceWithVoid();
    }

    /**
     * One pass of the loop: reads every view's stored state (so replicas and restarts agree on
     * what is due), queues the views that are due and starts as many as there are free slots.
     * Called on a timer, and by tests with a settable clock.
     */
    public Uni<Void> tick() {
        return store.viewStates()
                .ifNoItem().after(tickTimeout).failWith(() -> new IllegalStateException(
                        "no answer from PostgreSQL within " + DurationText.of(tickTimeout)))
                .invoke(states -> {
                    if (!databaseReachable) {
                        Log.info("dispatcher: PostgreSQL is reachable again, dispatching resumes");
                    }
                    databaseReachable = true;
                    mergeStates(states);
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
                    dispatch();
                    armWakeUp();
                    lastTickCompletedAt = clock.instant();
                });
    }

    /**
     * Sets a one-shot timer for the earliest instant an idle view falls due, when that is sooner
     * than the next poll: a due view then starts within milliseconds, not up to a poll interval
     * late. The poll still runs, for what only PostgreSQL knows (other replicas, pauses).
     */
    private void armWakeUp() {
        Instant now = clock.instant();
        Instant earliest = null;
        synchronized (lock) {
            // Without PostgreSQL an overdue view would re-arm at once after every failed tick: a
            // busy loop against a database that is down. The poll retries at its own pace.
            if (stopped || !databaseReachable) {
                return;
            }
            for (ViewRuntime runtime : views.values()) {
                if (runtime.queued == null && runtime.running == null) {
                    Instant due = runtime.nextDue(now);
                    if (due != null && (earliest == null || due.isBefore(earliest))) {
                        earliest = due;
                    }
                }
            }
        }
        if (earliest == null) {
            return;
        }
        // A view due already is queued by the very next tick, so this cannot repeat itself.
        long delayMillis = Math.max(1, Duration.between(now, earliest).toMillis() + 1);
        if (delayMillis >= pollInterval.toMillis()) {
            return;
        }
        long timer = vertx.setTimer(delayMillis, id -> tick().subscribe().with(ignored -> { },
                failure -> Log.debugf("dispatcher: wake-up tick failed: %s", failure.getMessage())));
        Long previous = wakeUpTimer.getAndSet(timer);
        if (previous != null) {
            vertx.cancelTimer(previous);
        }
    }

    /**
     * Asks for a refresh of {@code view} now. A request for a queued view joins that run; one for
     * a running view queues exactly one follow-up. Empty when the view is unknown.
     */
    public Uni<Optional<Ticket>> request(ViewId view, Trigger trigger) {
        synchronized (lock) {
            ViewRuntime runtime = views.get(view);
            if (runtime == null) {
                return Uni.createFrom().item(Optional.empty());
            }
            Ticket existing = runtime.running == null ? runtime.queued : runtime.followUp;
            if (existing != null) {
                return Uni.createFrom().item(Optional.of(existing));
            }
        }
        // Otherwise a run id is needed: the same path as a request for many views.
        return requestAll(List.of(view), trigger).map(tickets -> tickets.stream().findFirst());
    }

    /**
     * {@link #request} for many views at once, with one round trip for their run ids. Unknown
     * views are left out of the answer.
     */
    public Uni<List<Ticket>> requestAll(List<ViewId> targets, Trigger trigger) {
        if (targets.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return store.allocateRunIds(targets.size()).map(ids -> {
            List<Ticket> tickets = new ArrayList<>();
            Instant now = clock.instant();
            synchronized (lock) {
                for (int i = 0; i < targets.size(); i++) {
                    Ticket ticket = requestLocked(targets.get(i), trigger, ids.get(i), now);
                    if (ticket != null) {
                        tickets.add(ticket);
                    }
                }
            }
            dispatch();
            return tickets;
        });
    }

    /**
     * Pauses or resumes {@code view}: stored first (so every replica and a restart see it), then
     * applied here. A queued run of a paused view is dropped; a running one finishes. Empty when
     * the view is unknown.
     */
    public Uni<Optional<ViewStatus>> setPaused(ViewId view, boolean paused) {
        synchronized (lock) {
            if (!views.containsKey(view)) {
                return Uni.createFrom().item(Optional.empty());
            }
        }
        return store.setPaused(view, paused).map(ignored -> {
            Ticket dropped = null;
            synchronized (lock) {
                ViewRuntime runtime = views.get(view);
                if (runtime == null) {
                    return Optional.<ViewStatus>empty();
                }
                ViewState state = runtime.state;
                runtime.state = new ViewState(state.view(), state.lastSuccessAt(), state.lastVerifiedAt(), state.lastAttemptAt(),
                        state.consecutiveFailures(), paused);
                if (paused && runtime.queued != null) {
                    dropped = runtime.queued;
                    runtime.queued = null;
                }
            }
            if (dropped != null) {
                dropped.result().completeExceptionally(new IllegalStateException(view + " was paused before its run started"));
            }
            Log.infof("view %s %s", view, paused ? "paused" : "resumed");
            if (!paused) {
                armWakeUp();
            }
            return status(view);
        });
    }

    /** Every known view, configured or discovered, sorted by name. */
    public List<ViewStatus> statuses() {
        Instant now = clock.instant();
        synchronized (lock) {
            return views.values().stream().map(runtime -> status(runtime, now))
                    .sorted(Comparator.comparing(s -> s.settings().view())).toList();
        }
    }

    /** One view, when known. */
    public Optional<ViewStatus> status(ViewId view) {
        Instant now = clock.instant();
        synchronized (lock) {
            return Optional.ofNullable(views.get(view)).map(runtime -> status(runtime, now));
        }
    }

    /** Queued runs of views with {@code priority} (their configured priority), right now. */
    public int queued(Priority priority) {
        synchronized (lock) {
            return (int) views.values().stream()
                    .filter(runtime -> runtime.queued != null && runtime.settings.priority() == priority).count();
        }
    }

    /** Refreshes in progress right now. */
    public int inFlight() {
        synchronized (lock) {
            return running;
        }
    }

    /** When a tick last completed, whatever PostgreSQL did; liveness is judged by it. Null before the first. */
    public Instant lastTickCompletedAt() {
        return lastTickCompletedAt;
    }

    /** Whether the last tick could read PostgreSQL. */
    public boolean databaseReachable() {
        return databaseReachable;
    }

    /** No refresh starts after this; runs in progress finish on their own. */
    public void stop() {
        synchronized (lock) {
            stopped = true;
        }
        Long timer = wakeUpTimer.getAndSet(null);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
    }

    private void mergeStates(Map<ViewId, ViewState> stored) {
        synchronized (lock) {
            stored.forEach((id, fromDb) -> {
                ViewRuntime runtime = views.get(id);
                if (runtime != null) {
                    runtime.state = newer(runtime.state, fromDb);
                }
            });
        }
    }

    /**
     * The read may have started before one of our own runs committed; keep whichever knows about
     * the later attempt, and never move the last success backwards.
     */
    private static ViewState newer(ViewState inMemory, ViewState fromDb) {
        boolean dbIsNewer = inMemory.lastAttemptAt() == null
                || (fromDb.lastAttemptAt() != null && !fromDb.lastAttemptAt().isBefore(inMemory.lastAttemptAt()));
        ViewState base = dbIsNewer ? fromDb : inMemory;
        return new ViewState(base.view(), ViewState.later(inMemory.lastSuccessAt(), fromDb.lastSuccessAt()),
                ViewState.later(inMemory.lastVerifiedAt(), fromDb.lastVerifiedAt()), base.lastAttemptAt(),
                base.consecutiveFailures(), fromDb.paused());
    }

    private Uni<Void> queueDue() {
        Instant now = clock.instant();
        List<ViewId> due = new ArrayList<>();
        Trigger trigger;
        synchronized (lock) {
            if (stopped) {
                return Uni.createFrom().voidItem();
            }
            trigger = firstTickDone ? Trigger.SCHEDULE : Trigger.STARTUP;
            firstTickDone = true;
            views.forEach((id, runtime) -> {
                if (isDue(runtime, now)) {
                    due.add(id);
                }
            });
        }
        if (due.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return store.allocateRunIds(due.size()).invoke(ids -> {
            synchronized (lock) {
                for (int i = 0; i < due.size(); i++) {
                    ViewRuntime runtime = views.get(due.get(i));
                    // Checked again: the view may have been queued or refreshed while the ids were allocated.
                    if (runtime != null && isDue(runtime, now)) {
                        runtime.queued = Ticket.of(runtime.job(ids.get(i), trigger, now), runtime.nextDue(now));
                    }
                }
            }
        }).replaceWithVoid();
    }

    private static boolean isDue(ViewRuntime runtime, Instant now) {
        if (runtime.queued != null || runtime.running != null) {
            return false;
        }
        Instant due = runtime.nextDue(now);
        return due != null && !due.isAfter(now);
    }

    private Ticket requestLocked(ViewId view, Trigger trigger, long runId, Instant now) {
        ViewRuntime runtime = views.get(view);
        if (runtime == null) {
            return null;
        }
        if (runtime.running == null) {
            if (runtime.queued == null) {
                runtime.queued = Ticket.of(runtime.job(runId, trigger, now), now);
            }
            return runtime.queued;
        }
        if (runtime.followUp == null) {
            runtime.followUp = Ticket.of(runtime.job(runId, trigger, now), now);
        }
        return runtime.followUp;
    }

    /** Starts queued runs while slots are free. Cheap, so it runs after every change. */
    private void dispatch() {
        List<Ticket> toStart = new ArrayList<>();
        Instant now = clock.instant();
        synchronized (lock) {
            // Without PostgreSQL every start would fail the same way; the next tick that reaches
            // it turns dispatching back on.
            if (stopped || !databaseReachable) {
                return;
            }
            while (running < concurrency) {
                Optional<ViewRuntime> next = views.values().stream()
                        .filter(runtime -> runtime.queued != null && startable(runtime))
                        .min(Comparator.<ViewRuntime>comparingInt(runtime -> -agedPriority(runtime, now))
                                .thenComparing(runtime -> runtime.queued.dueAt())
                                .thenComparing(runtime -> runtime.settings.view()));
                if (next.isEmpty()) {
                    break;
                }
                ViewRuntime runtime = next.get();
                runtime.running = runtime.queued;
                runtime.queued = null;
                running++;
                toStart.add(runtime.running);
            }
        }
        toStart.forEach(this::start);
    }

    /**
     * A view may start when nothing it reads is refreshing or waiting to, and nothing that reads
     * it is refreshing: sources go first (a reader refreshed before its source would read stale
     * or unpopulated data and need a second refresh), and a source never changes under a reader.
     */
    private boolean startable(ViewRuntime candidate) {
        if (candidate.missing()) {
            return false;
        }
        for (ViewId source : graph.allUpstreamOf(candidate.settings.view())) {
            ViewRuntime other = views.get(source);
            if (other != null && (other.running != null || other.queued != null)) {
                return false;
            }
        }
        for (ViewId reader : graph.allDownstreamOf(candidate.settings.view())) {
            ViewRuntime other = views.get(reader);
            if (other != null && other.running != null) {
                return false;
            }
        }
        return true;
    }

    /** The view's priority raised one level per {@code aging} it has waited since it fell due. */
    private int agedPriority(ViewRuntime runtime, Instant now) {
        Duration waited = Duration.between(runtime.queued.dueAt(), now);
        long levels = waited.isNegative() ? 0 : waited.toMillis() / Math.max(1, aging.toMillis());
        return (int) Math.min(Priority.CRITICAL.ordinal(), runtime.settings.priority().ordinal() + levels);
    }

    private void start(Ticket ticket) {
        metrics.queueWait(ticket.job().settings().priority(), Duration.between(ticket.job().queuedAt(), clock.instant()));
        executor.execute(ticket.job()).subscribe().with(
                run -> finished(ticket, run),
                failure -> {
                    // The executor turns every failure into an outcome; reaching this is a bug, but the
                    // slot must still be given back or the dispatcher would stall.
                    Log.errorf(failure, "%s ended unexpectedly", ticket.job().logPrefix());
                    finished(ticket, null);
                });
    }

    private void finished(Ticket ticket, CompletedRun run) {
        ViewId view = ticket.job().view();
        List<ViewId> downstream = new ArrayList<>();
        ViewSettings settings = ticket.job().settings();
        synchronized (lock) {
            running--;
            ViewRuntime runtime = views.get(view);
            if (runtime != null && runtime.running == ticket) {
                runtime.running = null;
                if (run != null) {
                    apply(runtime, run);
                    if (run.outcome() instanceof RefreshOutcome.Refreshed) {
                        downstream.addAll(graph.downstreamOf(view));
                    }
                }
                if (runtime.followUp != null) {
                    runtime.queued = runtime.followUp;
                    runtime.followUp = null;
                }
            }
        }
        if (run != null) {
            record(settings, run);
            ticket.result().complete(run);
        } else {
            ticket.result().completeExceptionally(new IllegalStateException("run ended without an outcome"));
        }
        armWakeUp();
        for (ViewId reader : downstream) {
            request(reader, Trigger.DEPENDENCY).subscribe().with(
                    ignored -> { },
                    failure -> Log.warnf("could not queue %s after its upstream %s was refreshed: %s", reader, view, failure.getMessage()));
        }
        dispatch();
    }

    private void apply(ViewRuntime runtime, CompletedRun run) {
        RunRecord record = run.record();
        ViewState state = runtime.state;
        switch (run.outcome()) {
            case RefreshOutcome.Refreshed refreshed -> {
                runtime.state = new ViewState(state.view(), record.finishedAt(), record.finishedAt(), record.finishedAt(), 0,
                        state.paused());
                runtime.lastRun = record;
                runtime.deferredUntil = null;
                if (runtime.catalogView != null && !runtime.catalogView.populated()) {
                    runtime.catalogView = runtime.catalogView.populatedNow();
                }
            }
            // A skip is not an attempt: it neither counts as a failure nor resets one.
            case RefreshOutcome.Skipped skipped -> {
                switch (skipped.reason()) {
                    case UNCHANGED -> runtime.state = new ViewState(state.view(), state.lastSuccessAt(), record.finishedAt(),
                            state.lastAttemptAt(), state.consecutiveFailures(), state.paused());
                    case LOCKED_ELSEWHERE -> {
                        // The holder will store its result; look again once it has probably finished.
                        Duration period = runtime.settings.schedule().period(record.finishedAt());
                        runtime.deferredUntil = record.finishedAt().plus(period.compareTo(LOCKED_RETRY) < 0 ? period : LOCKED_RETRY);
                    }
                    case PAUSED -> {
                    }
                }
            }
            case RefreshOutcome.AlreadyFresh fresh -> {
                // The next tick reads the other replica's result from view_state.
            }
            case RefreshOutcome.Failed failed -> {
                if (failed.connectionLost()) {
                    databaseReachable = false;
                    Log.warnf("dispatcher: lost PostgreSQL (%s); dispatching paused until it is back", failed.error());
                }
                runtime.state = new ViewState(state.view(), state.lastSuccessAt(), state.lastVerifiedAt(), record.finishedAt(),
                        state.consecutiveFailures() + 1, state.paused());
                runtime.lastRun = record;
                runtime.retryJitter = ThreadLocalRandom.current().nextDouble(0.8, 1.2);
            }
        }
    }

    private void record(ViewSettings settings, CompletedRun run) {
        RunRecord record = run.record();
        if (run.outcome() instanceof RefreshOutcome.Skipped skipped) {
            metrics.refreshSkipped(settings.view().toString(), skipped.reason().label());
        }
        if (record.startedAt() != null && record.mode() != null) {
            metrics.refreshFinished(settings.view().toString(), settings.priority(), record.mode(), record.outcome(),
                    Duration.between(record.startedAt(), record.finishedAt()));
        }
        // Only a committed refresh invalidates, and only by enqueueing: Redis never delays a refresh.
        if (run.outcome() instanceof RefreshOutcome.Refreshed && !settings.invalidation().isEmpty()) {
            invalidations.submit(InvalidationRequest.of(settings.view(), record.id(), record.finishedAt(), settings.invalidation()));
        }
    }

    private ViewStatus status(ViewRuntime runtime, Instant now) {
        return new ViewStatus(runtime.settings, runtime.catalogView, runtime.state, runtime.lastRun, runtime.status(),
                runtime.nextDue(now), runtime.queued == null ? null : runtime.queued.runId(),
                runtime.running == null ? null : runtime.running.runId(), now);
    }
}
