package io.mvrefresh.scheduling;

import io.mvrefresh.catalog.CatalogSnapshot;
import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.refresh.CompletedRun;
import io.mvrefresh.refresh.RefreshJob;
import io.mvrefresh.refresh.RefreshOutcome;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

/**
 * Every scheduling decision, and nothing else: given the views' settings, their stored state,
 * the runs queued and running, the dependency graph and the time, it says what is due, what
 * starts next and when to wake up. It does no I/O and reads no clock (every method takes
 * {@code now}), so tests drive it by hand; {@link Dispatcher} feeds it and carries out its
 * decisions. Not thread-safe: the dispatcher calls it under one lock.
 *
 * <p>Cost does not grow with the number of views where it is paid often: idle views sit in an
 * index ordered by due time (the next wake-up is its first entry), queued runs in one ordered set
 * per priority, and a run that finishes touches only the views related to it. The rules are in
 * {@code scheduling/DESIGN.md}.
 */
public final class SchedulingPolicy {

    /**
     * The dispatcher's fixed parameters.
     *
     * @param concurrency refreshes at once
     * @param reservedForCritical of those, slots only views configured {@code critical} may use
     * @param aging a waiting view rises one priority level per this much waiting
     * @param jitter draws the factor (around 1) that spreads the retries of views failing together
     */
    public record Limits(int concurrency, int reservedForCritical, Duration aging, DoubleSupplier jitter) {
    }

    /** A run the dispatcher is to start now. */
    public record Start(Ticket ticket, RefreshJob job) {
    }

    /** A view that is due, and the trigger to request it with. */
    public record Due(ViewId view, Trigger trigger) {
    }

    /**
     * What a finished run leads to.
     *
     * @param readers views that read the refreshed one directly: each is to be requested with
     *     trigger {@code dependency}
     */
    public record Finished(ViewSettings settings, List<ViewId> readers) {
    }

    private final Limits limits;
    private final Map<ViewId, ViewEntry> entries = new HashMap<>();
    /** Rows of views not known (yet): applied when the view appears. */
    private final Map<ViewId, ViewState> storedOfUnknown = new HashMap<>();

    private final DueIndex dueIndex = new DueIndex();
    private final RunQueue queue;
    private final ChangeIndex changeIndex = new ChangeIndex();
    /** Runs dropped before they started (paused, disabled, missing, shutdown): their callers are told. */
    private final List<Ticket> dropped = new ArrayList<>();

    private final Set<ViewId> configured = new HashSet<>();
    /** Views whose picture may have changed since {@link #drainTouched} was last called. */
    private final Set<ViewId> touched = new HashSet<>();

    private Set<ViewId> missingReported = Set.of();
    private DependencyGraph graph = DependencyGraph.EMPTY;
    private int running;
    private boolean stopped;

    public SchedulingPolicy(Limits limits) {
        this.limits = limits;
        this.queue = new RunQueue(limits.aging(), view -> waitingFor(view).isPresent(),
                view -> entries.containsKey(view) ? entries.get(view).urgency() : RunQueue.Urgency.NONE);
    }

    /**
     * Takes a catalog scan: views that appeared become known, configured views that do not exist
     * are missing, discovered views that disappeared are forgotten (once not running), and the
     * dependency graph is rebuilt.
     *
     * @param configuredViews the views named in configuration, known whether they exist or not
     * @param settingsFor the settings in effect for any view
     */
    public CatalogChanges applyCatalog(CatalogSnapshot snapshot, Collection<ViewSettings> configuredViews,
            Function<ViewId, ViewSettings> settingsFor, Instant now) {
        List<ViewId> appeared = new ArrayList<>();
        List<ViewId> disappeared = new ArrayList<>();
        Set<ViewId> missing = new HashSet<>();
        configured.clear();
        for (ViewSettings settings : configuredViews) {
            configured.add(settings.view());
            CatalogView found = snapshot.views().get(settings.view());
            if (found == null) {
                missing.add(settings.view());
            }
            updateCatalog(entry(settings.view(), settingsFor, appeared), found, snapshot.scannedAt(), now);
        }
        snapshot.views().forEach((id, view) -> updateCatalog(entry(id, settingsFor, appeared), view, snapshot.scannedAt(), now));
        for (ViewEntry entry : List.copyOf(entries.values())) {
            if (!configured.contains(entry.id()) && !snapshot.views().containsKey(entry.id())) {
                disappeared.add(entry.id());
                updateCatalog(entry, null, snapshot.scannedAt(), now);
                forgetIfGone(entry);
            }
        }
        graph = DependencyGraph.of(snapshot.views().values(), settingsFor);
        changeIndex.rebuild(entries.values().stream()
                .map(entry -> new ChangeIndex.Reader(entry.id(), entry.catalog(), entry.settings().hasTarget())).toList());
        // The graph changed: every run found waiting is looked at again.
        queue.lookAgainAtAll();
        List<ViewId> newlyMissing = missing.stream().filter(id -> !missingReported.contains(id)).sorted().toList();
        missingReported = missing;
        appeared.removeAll(missing);
        return new CatalogChanges(appeared.stream().sorted().toList(), disappeared.stream().sorted().toList(), newlyMissing,
                graph.ignoredDependsOn());
    }

    private ViewEntry entry(ViewId id, Function<ViewId, ViewSettings> settingsFor, List<ViewId> appeared) {
        ViewSettings current = settingsFor.apply(id);
        ViewEntry entry = entries.computeIfAbsent(id, key -> {
            appeared.add(key);
            ViewState stored = storedOfUnknown.remove(key);
            return new ViewEntry(current, stored == null ? ViewState.initial(key) : stored);
        });
        if (!current.equals(entry.settings())) {
            // Its comment changed: the runs it still may run go on, its due time is computed again.
            unready(entry.queued(), entry.settings(current));
            dueIndex.remove(id);
        }
        return entry;
    }

    private void updateCatalog(ViewEntry entry, CatalogView current, Instant seenAt, Instant now) {
        if (entry.catalog() != null && entry.catalog().equals(current) && dueIndex.contains(entry.id())) {
            return;
        }
        CatalogView before = entry.catalog();
        unready(entry.queued(), entry.catalog(current, seenAt));
        if (before != null && current != null && !before.definition().equals(current.definition()) && entry.watchable()) {
            // A plain view or function along its read path was replaced: its result changed without a write.
            entry.changed(seenAt, Trigger.SCHEDULE, false);
        }
        reindex(entry, now);
    }

    private void forgetIfGone(ViewEntry entry) {
        if (entry.running() == null && entry.missing() && !configured.contains(entry.id())) {
            dueIndex.remove(entry.id());
            entries.remove(entry.id());
            // Stored state is read incrementally: kept, it is there if the view comes back.
            storedOfUnknown.put(entry.id(), entry.stored());
        }
    }

    /**
     * Takes a {@code view_state} row (read, or answered by a write), unless older than the one
     * held. A row that pauses the view drops what was waiting.
     */
    public void applyStored(ViewState row, Instant now) {
        ViewEntry entry = entries.get(row.view());
        if (entry == null) {
            storedOfUnknown.merge(row.view(), row, (held, fresh) -> fresh.supersedes(held) ? fresh : held);
            return;
        }
        unready(entry.queued(), entry.applyStored(row));
        reindex(entry, now);
    }

    /**
     * The views that are due at {@code now} and have nothing queued or running: each is to be
     * requested (trigger {@code schedule}, or {@code startup} on the first tick).
     */
    public List<Due> due(Instant now) {
        return dueIndex.dueBy(now);
    }

    /**
     * Relations (by oid) that were written to, as the write counters or a notification showed at
     * {@code at}: the views reading them have a change to catch up with.
     */
    public void relationsChanged(Collection<Long> relations, Instant at) {
        relations.forEach(relation -> changed(changeIndex.readersOf(relation), Trigger.SCHEDULE, at, false));
    }

    /** Tables (by name) that were written to, as a notification announced at {@code at}. */
    public void tablesChanged(Collection<ViewId> tables, Instant at) {
        tables.forEach(table -> changed(changeIndex.readersOf(table), Trigger.SCHEDULE, at, true));
    }

    private void changed(Set<ViewId> views, Trigger trigger, Instant at, boolean announced) {
        for (ViewId id : views) {
            ViewEntry entry = entries.get(id);
            if (entry != null && entry.watchable()) {
                entry.changed(at, trigger, announced);
                reindex(entry, at);
            }
        }
    }

    /**
     * The relations (oids, leaf partitions not included) whose write counters are watched: those
     * read by views with a freshness target, or ({@code all}) by every view whose changes can be
     * detected, which their lag needs.
     */
    public Set<Long> watchedRelations(boolean all) {
        return changeIndex.watched(all);
    }

    /** Views with a freshness target whose changes can be detected: watched on every poll. */
    public Set<ViewId> targetedViews() {
        return changeIndex.targeted();
    }

    /**
     * Treats these views as changed at {@code at} (trigger {@code schedule}): when watching
     * begins, writes made while nobody watched are found by a check of each, which skips when
     * nothing changed.
     */
    public void assumeChanged(Collection<ViewId> views, Instant at) {
        changed(Set.copyOf(views), Trigger.SCHEDULE, at, false);
    }

    /**
     * Asks for a refresh of {@code view} without a run id: joins what is queued or running,
     * refuses, or answers {@link Admission.NeedsRunId}, after which {@link #request} with an id
     * does the rest.
     */
    public Admission admit(ViewId view, Trigger trigger, Instant now) {
        return request(view, trigger, OptionalLong.empty(), now);
    }

    /**
     * Asks for a refresh of {@code view}: a new run gets {@code runId}. A request for a queued view
     * joins that run (which keeps the stronger trigger); one for a running view queues exactly one
     * follow-up; a missing, disabled or paused view is refused.
     */
    public Admission request(ViewId view, Trigger trigger, long runId, Instant now) {
        return request(view, trigger, OptionalLong.of(runId), now);
    }

    private Admission request(ViewId view, Trigger trigger, OptionalLong runId, Instant now) {
        ViewEntry entry = entries.get(view);
        if (entry == null) {
            return new Admission.Refused(Admission.Refusal.UNKNOWN, "unknown view '" + view + "'");
        }
        if (stopped) {
            return new Admission.Refused(Admission.Refusal.STOPPING, "mvrefresh is shutting down and starts no new refresh");
        }
        Instant heldBackUntil = trigger == Trigger.ADMIN ? null : entry.minIntervalUntil(now);
        if (heldBackUntil != null && !entry.busy() && entry.refusal() == null) {
            // min-interval holds for every trigger but a forced refresh: kept, and run when it ends.
            entry.owe(trigger, now);
            reindex(entry, now);
            return new Admission.Deferred(heldBackUntil);
        }
        Instant indexed = dueIndex.dueAt(view);
        Instant dueAt = indexed != null && !indexed.isAfter(now) ? indexed : now;
        boolean wasIdle = !entry.busy();
        Admission admission = entry.request(trigger, dueAt, now, runId);
        if (admission instanceof Admission.Accepted accepted && accepted.how() == Admission.How.QUEUED && wasIdle) {
            dueIndex.remove(view);
            touched.add(view);
            queue.add(accepted.ticket(), entry.settings().priority(), entry.settings().hasTarget());
        }
        return admission;
    }

    /**
     * The runs to start now, best first, marked running: while slots are free (the reserved ones
     * only for views configured critical), the queued run with the highest priority (raised one
     * level per {@code aging} waited) then the one due longest, that waits for no related view.
     */
    public List<Start> startNext(Instant now) {
        List<Start> starts = new ArrayList<>();
        while (!stopped && running < limits.concurrency()) {
            boolean criticalOnly = limits.concurrency() - running <= limits.reservedForCritical();
            Ticket best = queue.take(now, criticalOnly);
            if (best == null) {
                break;
            }
            ViewEntry entry = entries.get(best.view());
            entry.start(now);
            touched.add(entry.id());
            running++;
            RefreshJob job = new RefreshJob(best.runId(), entry.settings(), entry.catalog(), best.knownFreshAsOf(),
                    best.trigger(), best.queuedAt(), graph.allUpstreamOf(entry.id()), entry.pending().announced(),
                    graph.downstreamOf(entry.id()));
            starts.add(new Start(best, job));
        }
        return starts;
    }

    /**
     * A view waits while a view it reads is running or queued (sources go first: a reader
     * refreshed before its source would read stale or unpopulated data and need a second
     * refresh), and while a view that reads it is running (a source never changes under a reader).
     */
    private Optional<ViewId> waitingFor(ViewId view) {
        return graph.waitsFor(view, id -> entries.containsKey(id) && entries.get(id).busy(),
                id -> entries.containsKey(id) && entries.get(id).running() != null);
    }

    /**
     * A started run ended; {@code run} is null when it ended without an outcome (a bug, but the
     * slot must come back). Stored state the run answered is applied, and the views related to it
     * may start.
     */
    public Finished finish(Ticket ticket, CompletedRun run, Instant now) {
        ViewEntry entry = entries.get(ticket.view());
        if (entry == null || !entry.finish(ticket, run, limits.jitter().getAsDouble())) {
            return new Finished(null, List.of());
        }
        running--;
        Optional.ofNullable(entry.promoteFollowUp(now)).ifPresent(dropped::add);
        if (entry.queued() != null) {
            queue.add(entry.queued(), entry.settings().priority(), entry.settings().hasTarget());
        }
        reindex(entry, now);
        lookAgainAtRelated(entry.id());
        List<ViewId> readers = new ArrayList<>();
        // A refresh that changed no row leaves its readers' results as they were.
        if (run != null && run.outcome() instanceof RefreshOutcome.Refreshed && !run.record().changedNothing()) {
            for (ViewId reader : graph.downstreamOf(entry.id()).stream().sorted().toList()) {
                ViewEntry readerEntry = entries.get(reader);
                boolean ownTarget = readerEntry != null && readerEntry.settings().hasTarget();
                if (ownTarget || readerEntry != null && readerEntry.watchable()) {
                    readerEntry.changed(now, Trigger.DEPENDENCY, false);
                }
                if (ownTarget) {
                    // Within its own target: due at once, unless min-interval says later.
                    reindex(readerEntry, now);
                } else {
                    readers.add(reader);
                }
            }
        }
        forgetIfGone(entry);
        return new Finished(entry.settings(), readers);
    }

    private void lookAgainAtRelated(ViewId view) {
        queue.lookAgainAt(graph.allDownstreamOf(view));
        queue.lookAgainAt(graph.allUpstreamOf(view));
    }

    /** Which views each view reads directly (definitions and depends-on, a cycle-closing entry left out). */
    public Map<ViewId, Set<ViewId>> sources() {
        return graph.sources();
    }

    /** When the earliest idle view falls due; empty when none ever will. */
    public Optional<Instant> nextWakeUp() {
        return dueIndex.first();
    }

    /** Runs dropped before they started since the last call; their callers are to be told. */
    public List<Ticket> drainDropped() {
        List<Ticket> drained = List.copyOf(dropped);
        dropped.clear();
        return drained;
    }

    /** No run starts and no request is accepted any more; queued runs are dropped. */
    public void stop() {
        stopped = true;
        // Arguments are evaluated left to right: the queued run is read before it is dropped.
        entries.values().forEach(entry -> unready(entry.queued(), entry.dropWaiting()));
    }

    /** One view as of {@code now}, when known. */
    public Optional<ViewSnapshot> snapshot(ViewId view, Instant now) {
        return Optional.ofNullable(entries.get(view)).map(entry -> snapshot(entry, now));
    }

    /** Every known view, sorted by name. */
    public List<ViewSnapshot> snapshots(Instant now) {
        return entries.values().stream().sorted(Comparator.comparing(ViewEntry::id)).map(entry -> snapshot(entry, now)).toList();
    }

    private ViewSnapshot snapshot(ViewEntry entry, Instant now) {
        Optional<ViewId> waitingFor = entry.queued() == null ? Optional.empty() : waitingFor(entry.id());
        return entry.snapshot(dueIndex.dueAt(entry.id()), waitingFor.orElse(null), now);
    }

    /** The views whose picture may have changed since the last call, as of {@code now}. */
    public List<ViewSnapshot> drainTouched(Instant now) {
        List<ViewSnapshot> changed = touched.stream().map(entries::get).filter(Objects::nonNull).map(e -> snapshot(e, now))
                .toList();
        touched.clear();
        return changed;
    }

    /** Every known view, configured or discovered. */
    public Set<ViewId> known() {
        return Set.copyOf(entries.keySet());
    }

    /** Queued runs of views configured with {@code priority}. */
    public int queued(Priority priority) {
        return queue.count(priority);
    }

    /** Runs started and not finished. */
    public int running() {
        return running;
    }

    /** Takes a run that left the queue out of it, and keeps the dropped ones for their callers. */
    private void unready(Ticket wasQueued, List<Ticket> droppedNow) {
        if (droppedNow.isEmpty()) {
            return;
        }
        if (wasQueued != null && droppedNow.contains(wasQueued)) {
            queue.remove(wasQueued);
            lookAgainAtRelated(wasQueued.view());
        }
        dropped.addAll(droppedNow);
    }

    /** Puts the view in the due index under its current due time, or takes it out when it has none. */
    private void reindex(ViewEntry entry, Instant now) {
        dueIndex.remove(entry.id());
        touched.add(entry.id());
        entry.adopt(entry.due(now)).ifPresent(due -> dueIndex.put(entry.id(), due.at(), due.trigger()));
    }
}
