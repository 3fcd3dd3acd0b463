package io.mvrefresh.lifecycle;

import io.mvrefresh.cache.InstancePresence;
import io.mvrefresh.cache.InvalidationQueue;
import io.mvrefresh.cache.InvalidationWorker;
import io.mvrefresh.cache.OwedInvalidations;
import io.mvrefresh.catalog.Catalog;
import io.mvrefresh.changes.ChangeListener;
import io.mvrefresh.changes.ChangeWatcher;
import io.mvrefresh.config.DurationText;
import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.config.ViewSettingsResolver;
import io.mvrefresh.refresh.RefreshExecutor;
import io.mvrefresh.retry.Backoff;
import io.mvrefresh.runs.LastRuns;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.scheduling.TickLoop;
import io.mvrefresh.state.OutcomeBacklog;
import io.mvrefresh.state.RunHistory;
import io.mvrefresh.state.StateSchema;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Start and stop order, and every timer, in one place. Start: validate configuration (fatal when
 * wrong), then, in the background and retried until PostgreSQL answers: startup participants (the dev demo),
 * state schema, first catalog scan, run history; then the dispatcher's poll and exact wake-up,
 * the rescan and the prune. Stop: timers first, then the dispatcher, so nothing starts a refresh
 * during shutdown.
 */
@ApplicationScoped
public class Lifecycle {

    private static final Backoff STARTUP_RETRY = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
    private static final Duration PRUNE_EVERY = Duration.ofHours(1);
    private static final Duration BACKLOG_EVERY = Duration.ofSeconds(2);
    private static final Duration OWED_INVALIDATIONS_EVERY = Duration.ofSeconds(5);
    private static final Duration CANCEL_WAIT = Duration.ofSeconds(5);
    private static final Duration SHUTDOWN_POLL = Duration.ofMillis(20);

    private final ConfigurationCheck configurationCheck;
    // Reached only once the configuration is known valid: producing them validates it.
    private final Instance<GlobalSettings> settings;
    private final Instance<ViewSettingsResolver> views;
    private final Instance<Pool> pool;
    private GlobalSettings config;
    private final Catalog catalog;
    private final Dispatcher dispatcher;
    private final TickLoop loop;
    private final LastRuns lastRuns;
    private final RunHistory history;
    private final Instance<StartupParticipant> participants;
    private final InvalidationWorker invalidations;
    private final RefreshExecutor executor;
    private final InvalidationQueue invalidationQueue;
    private final OwedInvalidations owedInvalidations;
    private final InstancePresence presence;
    private final OutcomeBacklog backlog;
    private final DependencyProbes probes;
    private final ChangeWatcher changeWatcher;
    private final ChangeListener changeListener;
    private final Vertx vertx;
    private final Clock clock;
    private final List<PeriodicTask> tasks = new ArrayList<>();
    private final AtomicLong wakeUpTimer = new AtomicLong(-1);

    private volatile long pollTimer = -1;
    private volatile boolean started;
    private volatile boolean stopping;
    private final AtomicBoolean drained = new AtomicBoolean();

    public Lifecycle(ConfigurationCheck configurationCheck, Instance<GlobalSettings> settings,
            Instance<ViewSettingsResolver> views, Instance<Pool> pool, Catalog catalog, Dispatcher dispatcher, TickLoop loop,
            LastRuns lastRuns, RunHistory history, Instance<StartupParticipant> participants, InvalidationWorker invalidations,
            InvalidationQueue invalidationQueue, OwedInvalidations owedInvalidations, InstancePresence presence,
            OutcomeBacklog backlog,
            DependencyProbes probes, RefreshExecutor executor, ChangeWatcher changeWatcher, ChangeListener changeListener,
            Vertx vertx, Clock clock) {
        this.changeWatcher = changeWatcher;
        this.changeListener = changeListener;
        this.owedInvalidations = owedInvalidations;
        this.presence = presence;
        this.backlog = backlog;
        this.probes = probes;
        this.executor = executor;
        this.invalidationQueue = invalidationQueue;
        this.invalidations = invalidations;
        this.configurationCheck = configurationCheck;
        this.settings = settings;
        this.views = views;
        this.pool = pool;
        this.catalog = catalog;
        this.dispatcher = dispatcher;
        this.loop = loop;
        this.lastRuns = lastRuns;
        this.history = history;
        this.participants = participants;
        this.vertx = vertx;
        this.clock = clock;
    }

    void onStart(@Observes StartupEvent event) {
        // A bad value stops startup here, with every problem named and no stack trace.
        if (!configurationCheck.valid()) {
            return;
        }
        config = settings.get();
        Log.infof("mvrefresh: %d view(s) configured, discovering in schemas %s, concurrency %d",
                views.get().configuredViews().size(), config.discovery().schemas(), config.concurrency());
        startTask(new PeriodicTask("dependency probe", DependencyProbes.EVERY, probes::probe), true);
        AtomicInteger attempt = new AtomicInteger();
        prepare().onFailure().retry().when(failures -> failures.onItem().transformToUniAndConcatenate(failure -> {
            Duration delay = STARTUP_RETRY.delay(attempt.incrementAndGet());
            Log.warnf("startup: PostgreSQL not ready (attempt %d): %s. Retrying in %d ms", attempt.get(), failure.getMessage(),
                    delay.toMillis());
            // A retry signal must be an item: a Multi drops nulls, and a void item would never retry.
            return Uni.createFrom().item(failure).onItem().delayIt().by(delay);
        })).subscribe().with(ignored -> startLoops(), failure -> Log.error("startup: gave up", failure));
    }

    /**
     * The first step of shutdown, while both HTTP ports still serve: readiness goes down, metrics
     * stay scrapeable, and refreshes drain (see {@link #drain}). Quarkus fires this event before
     * it closes the HTTP servers ({@code quarkus.shutdown.delay-enabled}) and waits for it.
     */
    void onShutdownBegins(@Observes ShutdownDelayInitiatedEvent event) {
        drain();
    }

    /** The last step of shutdown; drains here if nothing did before (shutdown without the first step). */
    void onStop(@Observes ShutdownEvent event) {
        drain();
    }

    /**
     * Readiness goes down and no refresh starts any more; refreshes in progress get
     * {@code mvrefresh.shutdown.grace} to finish, then are cancelled on the server and recorded
     * {@code cancelled}; pending invalidations get what is left of the grace (what is still owed
     * stays recorded in view_state and is done after the restart). Runs on Quarkus' shutdown
     * thread, where waiting is allowed. Once only.
     */
    void drain() {
        if (config == null || !drained.compareAndSet(false, true)) {
            // Never started (a bad configuration): nothing to drain.
            return;
        }
        stopping = true;
        Instant deadline = clock.instant().plus(config.shutdown().grace());
        stopTimers();
        changeListener.stop();
        dispatcher.stop();
        int running = dispatcher.inFlight();
        if (running > 0) {
            Log.infof("shutdown: waiting up to %s for %d refresh(es) in progress", DurationText.of(config.shutdown().grace()),
                    running);
            if (!waitUntil(deadline, () -> dispatcher.inFlight() == 0)) {
                Log.warnf("shutdown: cancelling %d refresh(es) still running after %s", dispatcher.inFlight(),
                        DurationText.of(config.shutdown().grace()));
                executor.cancelAll().await().atMost(CANCEL_WAIT);
                if (!waitUntil(clock.instant().plus(CANCEL_WAIT), () -> dispatcher.inFlight() == 0)) {
                    Log.errorf("shutdown: %d refresh(es) did not end after their cancel request", dispatcher.inFlight());
                }
            }
        }
        // A run that just ended is counted out before its invalidation is queued: wait for its
        // follow-ups (invalidation, cascade) to be on their way, then for the queue to drain.
        waitUntil(deadline, () -> dispatcher.idle() && invalidationQueue.pending() == 0);
        int unfinished = invalidations.stop();
        // Giving up the presence lock hands what is still owed to any live replica at once.
        presence.stop();
        if (unfinished > 0) {
            Log.warnf("mvrefresh: %d cache invalidation(s) not done at shutdown; they stay owed in mvrefresh.view_state and are"
                    + " done by another replica within seconds, or after the restart", unfinished);
        }
        Log.info("mvrefresh: stopped");
    }

    private boolean waitUntil(Instant deadline, BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            if (!clock.instant().isBefore(deadline)) {
                return false;
            }
            try {
                Thread.sleep(SHUTDOWN_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return done.getAsBoolean();
            }
        }
        return true;
    }

    /** Configuration valid and the first catalog scan done: the startup probe's condition. */
    public boolean started() {
        return started;
    }

    /** Shutdown has begun: readiness goes down. */
    public boolean stopping() {
        return stopping;
    }

    private Uni<Void> prepare() {
        Uni<Void> participantsReady = Uni.createFrom().voidItem();
        for (StartupParticipant participant : participants) {
            participantsReady = participantsReady.call(participant::beforeFirstScan);
        }
        return participantsReady
                .flatMap(ignored -> config.schema().manage() ? StateSchema.migrate(pool.get()) : Uni.createFrom().voidItem())
                .flatMap(ignored -> catalog.rescan()).invoke(dispatcher::applyCatalog).replaceWithVoid();
    }

    private void startLoops() {
        if (stopping) {
            return;
        }
        started = true;
        Log.info("mvrefresh: started, dispatching");
        // Each view's last run, so /admin/views shows it after a restart: shown, not needed to
        // schedule, so a slow or failed read never holds up or repeats the start.
        history.latestRunPerView().invoke(lastRuns::load).subscribe().with(runs -> {},
                failure -> Log.warnf("history: could not read each view's last run (%s); /admin/views shows runs from now on",
                        failure.getMessage()));
        // The first scan is done; later ones start a period from now.
        startTask(new PeriodicTask("catalog rescan", config.discovery().rescanInterval(),
                () -> catalog.rescan().invoke(dispatcher::applyCatalog).replaceWithVoid()), false);
        startTask(new PeriodicTask("history prune", PRUNE_EVERY, this::prune), true);
        startTask(new PeriodicTask("outcome backlog", BACKLOG_EVERY, () -> backlog.flush().replaceWithVoid()), false);
        presence.start();
        startTask(new PeriodicTask("owed cache invalidations", OWED_INVALIDATIONS_EVERY, owedInvalidations::claimRound), true);
        for (StartupParticipant participant : participants) {
            participant.periodic().ifPresent(work -> startTask(new PeriodicTask(work.name(), work.every(), work.work()), true));
        }
        startTask(new PeriodicTask("change watch", config.changes().pollInterval(), changeWatcher::poll), true);
        config.changes().notifyChannel().ifPresent(changeListener::start);
        if (config.scheduler().timers()) {
            pollTimer = vertx.setPeriodic(Math.max(1, config.scheduler().pollInterval().toMillis()), id -> loop.tick());
            dispatcher.onWakeUpChange(this::armWakeUp);
            loop.tick();
        }
    }

    private Uni<Void> prune() {
        return history.pruneRunsBefore(clock.instant().minus(config.history().retention())).invoke(pruned -> {
            if (pruned > 0) {
                Log.infof("history: pruned %d run(s) older than %s", pruned, DurationText.of(config.history().retention()));
            }
        }).replaceWithVoid();
    }

    /**
     * Wakes the dispatcher at the instant the earliest idle view falls due, when that is sooner
     * than the next poll: a due view then starts within milliseconds, not up to a poll interval
     * late. The poll still runs, for what only PostgreSQL knows (other replicas, pauses).
     */
    private void armWakeUp(Optional<Instant> at) {
        long previous = wakeUpTimer.getAndSet(-1);
        if (previous >= 0) {
            vertx.cancelTimer(previous);
        }
        if (at.isEmpty() || stopping) {
            return;
        }
        // A view due already is queued by the very next tick, so this cannot repeat itself.
        long delayMillis = Math.max(1, Duration.between(clock.instant(), at.get()).toMillis() + 1);
        if (delayMillis >= config.scheduler().pollInterval().toMillis()) {
            return;
        }
        long timer = vertx.setTimer(delayMillis, id -> {
            wakeUpTimer.compareAndSet(id, -1);
            loop.tick();
        });
        if (!wakeUpTimer.compareAndSet(-1, timer)) {
            vertx.cancelTimer(timer);
        }
    }

    private void startTask(PeriodicTask task, boolean runNow) {
        synchronized (tasks) {
            if (stopping) {
                return;
            }
            tasks.add(task);
        }
        if (runNow) {
            task.start(vertx);
        } else {
            task.startAfterOnePeriod(vertx);
        }
    }

    private void stopTimers() {
        synchronized (tasks) {
            tasks.forEach(task -> task.stop(vertx));
            tasks.clear();
        }
        if (pollTimer >= 0) {
            vertx.cancelTimer(pollTimer);
        }
        long wakeUp = wakeUpTimer.getAndSet(-1);
        if (wakeUp >= 0) {
            vertx.cancelTimer(wakeUp);
        }
    }
}
