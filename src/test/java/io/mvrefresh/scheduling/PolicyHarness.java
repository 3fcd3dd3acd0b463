package io.mvrefresh.scheduling;

import io.mvrefresh.catalog.CatalogSnapshot;
import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.InvalidationRules;
import io.mvrefresh.config.RefreshMode;
import io.mvrefresh.config.Schedule;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.refresh.CompletedRun;
import io.mvrefresh.refresh.RefreshOutcome;
import io.mvrefresh.state.RunRecord;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.vocabulary.AppliedMode;
import io.mvrefresh.vocabulary.Outcome;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.SkipReason;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Drives a {@link SchedulingPolicy} by hand, the way the dispatcher does, with a settable clock
 * and an in-memory stand-in for {@code view_state}: no database, no timers, no threads.
 */
final class PolicyHarness {

    private final SchedulingPolicy policy;
    private final Map<ViewId, ViewSettings> settings = new LinkedHashMap<>();
    private final Map<ViewId, CatalogView> catalog = new HashMap<>();
    private final Map<ViewId, ViewState> stored = new HashMap<>();
    private final Map<ViewId, SchedulingPolicy.Start> running = new HashMap<>();
    private final Map<ViewId, Instant> startedAt = new HashMap<>();
    private long nextRunId = 1;
    private long nextRevision = 1;
    private boolean firstTick = true;
    Instant now = Instant.parse("2026-03-02T08:00:00Z");

    PolicyHarness(int concurrency, int reservedForCritical, Duration aging) {
        policy = new SchedulingPolicy(new SchedulingPolicy.Limits(concurrency, reservedForCritical, aging, () -> 1.0));
    }

    /** Aging of a day: within a test, waiting never raises a priority unless the test asks for aging. */
    PolicyHarness(int concurrency) {
        this(concurrency, 0, Duration.ofDays(1));
    }

    SchedulingPolicy policy() {
        return policy;
    }

    /** A view to be found in the catalog, populated, reading {@code reads}. */
    ViewId view(String name, Priority priority, Schedule schedule, ViewId... reads) {
        ViewId id = new ViewId("public", name);
        settings.put(id, settings(id, priority, schedule, true));
        catalog.put(id, new CatalogView(id, catalog.size() + 1000L, true, true, Set.of(reads), Set.of(), Set.of(), List.of()));
        return id;
    }

    /** A view with a freshness target alone (refreshed on change), reading {@code reads} (oids 1, 2, ... stand for tables). */
    ViewId targeted(String name, Priority priority, Duration maxStaleness, Duration minInterval, long... tables) {
        ViewId id = new ViewId("public", name);
        settings.put(id,
                new ViewSettings(id, new Schedule.OnChange(maxStaleness), priority, RefreshMode.AUTO, Duration.ofMinutes(10),
                        Duration.ofSeconds(30), true, Set.of(), InvalidationRules.NONE, true, true,
                        java.util.Optional.of(maxStaleness),
                        minInterval, java.util.Optional.empty()));
        Set<Long> oids = new java.util.HashSet<>();
        for (long table : tables) {
            oids.add(table);
        }
        catalog.put(id,
                new CatalogView(id, catalog.size() + 1000L, true, true, Set.of(), Set.of(new ViewId("public", "t" + tables[0])),
                        oids, List.of()));
        return id;
    }

    /** The view's result changes without writes (it uses now()): its changes cannot be watched. */
    void timeDependent(ViewId id) {
        CatalogView view = catalog.get(id);
        catalog.put(id, new CatalogView(id, view.oid(), view.populated(), view.hasUsableUniqueIndex(), view.upstreamViews(),
                view.baseRelations(), view.readOids(), List.of("calls now(), whose result changes with time")));
    }

    /** Makes {@code reader} read {@code source} (a materialized view). */
    void reads(ViewId reader, ViewId source) {
        CatalogView view = catalog.get(reader);
        Set<ViewId> upstream = new java.util.HashSet<>(view.upstreamViews());
        upstream.add(source);
        catalog.put(reader, new CatalogView(reader, view.oid(), view.populated(), view.hasUsableUniqueIndex(), upstream,
                view.baseRelations(), view.readOids(), view.changeDetectionBlockers()));
    }

    /** The write counters of these tables moved, seen now. */
    void written(long... tables) {
        List<Long> relations = new ArrayList<>();
        for (long table : tables) {
            relations.add(table);
        }
        policy.relationsChanged(relations, now);
    }

    static ViewSettings settings(ViewId id, Priority priority, Schedule schedule, boolean enabled) {
        return new ViewSettings(id, schedule, priority, RefreshMode.AUTO, Duration.ofMinutes(10), Duration.ofSeconds(30), true,
                Set.of(), InvalidationRules.NONE, enabled, true);
    }

    /** Gives the view a min-interval. */
    void minInterval(ViewId id, Duration minInterval) {
        ViewSettings current = settings.get(id);
        settings.put(id, new ViewSettings(id, current.schedule(), current.priority(), current.mode(), current.timeout(),
                current.lockTimeout(), current.skipUnchanged(), current.dependsOn(), current.invalidation(), current.enabled(),
                current.configured(), current.maxStaleness(), minInterval, current.afterSql()));
    }

    void disable(ViewId id) {
        ViewSettings current = settings.get(id);
        settings.put(id, settings(id, current.priority(), current.schedule(), false));
    }

    void unpopulated(ViewId id) {
        CatalogView view = catalog.get(id);
        catalog.put(id, new CatalogView(id, view.oid() + 1, false, view.hasUsableUniqueIndex(), view.upstreamViews(),
                view.baseRelations(), view.readOids(), view.changeDetectionBlockers()));
    }

    void drop(ViewId id) {
        catalog.remove(id);
    }

    CatalogChanges applyCatalog() {
        return policy.applyCatalog(new CatalogSnapshot(catalog, now), settings.values(),
                id -> settings.getOrDefault(id, settings(id, Priority.MEDIUM, new Schedule.Every(Duration.ofMinutes(15)), true)),
                now);
    }

    /** Every view refreshed successfully at {@code at}, as a stored row says. */
    void refreshedAt(Instant at, ViewId... views) {
        for (ViewId view : views) {
            store(new ViewState(view, at, at, at, 0, false, nextRevision++));
        }
    }

    void store(ViewState row) {
        stored.put(row.view(), row);
        policy.applyStored(row, now);
    }

    void advance(Duration by) {
        now = now.plus(by);
    }

    /** What the dispatcher's tick does: queue what is due, then start what may start. Answers the views started. */
    List<ViewId> tick() {
        boolean startup = firstTick;
        firstTick = false;
        for (SchedulingPolicy.Due due : policy.due(now)) {
            request(due.view(), startup && due.trigger() == Trigger.SCHEDULE ? Trigger.STARTUP : due.trigger());
        }
        return start();
    }

    /** The views due now. */
    List<ViewId> dueViews() {
        return policy.due(now).stream().map(SchedulingPolicy.Due::view).toList();
    }

    /** A request as the dispatcher makes it: without an id first, with a fresh one when needed. */
    Admission request(ViewId view, Trigger trigger) {
        Admission admission = policy.admit(view, trigger, now);
        if (admission instanceof Admission.NeedsRunId) {
            admission = policy.request(view, trigger, nextRunId++, now);
        }
        return admission;
    }

    Ticket accepted(ViewId view, Trigger trigger) {
        Admission admission = request(view, trigger);
        if (admission instanceof Admission.Accepted accepted) {
            return accepted.ticket();
        }
        throw new AssertionError("expected " + view + " to be accepted, got " + admission);
    }

    /** Starts what may start; answers the views started, in order. */
    List<ViewId> start() {
        List<ViewId> started = new ArrayList<>();
        for (SchedulingPolicy.Start start : policy.startNext(now)) {
            running.put(start.ticket().view(), start);
            startedAt.put(start.ticket().view(), now);
            started.add(start.ticket().view());
        }
        return started;
    }

    SchedulingPolicy.Start runningStart(ViewId view) {
        SchedulingPolicy.Start start = running.get(view);
        if (start == null) {
            throw new AssertionError(view + " is not running");
        }
        return start;
    }

    Set<ViewId> running() {
        return Set.copyOf(running.keySet());
    }

    /** The view's running refresh committed now; answers the readers to cascade to. */
    SchedulingPolicy.Finished succeed(ViewId view) {
        SchedulingPolicy.Start start = running.remove(view);
        Instant began = startedAt.getOrDefault(view, now);
        ViewState row = new ViewState(view, now, now, now, 0, stored(view).paused(), nextRevision++, stored(view).skips(), began);
        stored.put(view, row);
        return finish(start, new RefreshOutcome.Refreshed(AppliedMode.CONCURRENT), Outcome.SUCCESS, null, Optional.of(row));
    }

    /** The view's running refresh failed now, and the failure was recorded. */
    SchedulingPolicy.Finished fail(ViewId view) {
        SchedulingPolicy.Start start = running.remove(view);
        ViewState before = stored(view);
        ViewState row = new ViewState(view, before.lastSuccessAt(), before.lastVerifiedAt(), now,
                before.consecutiveFailures() + 1,
                before.paused(), nextRevision++);
        stored.put(view, row);
        return finish(start, new RefreshOutcome.Failed(RefreshOutcome.Failure.FAILED, AppliedMode.CONCURRENT, "boom"),
                Outcome.FAILED,
                null, Optional.of(row));
    }

    /** The view's running run found nothing changed: it vouches for the data up to the statistics delay before now, as the executor records. */
    SchedulingPolicy.Finished unchanged(ViewId view) {
        SchedulingPolicy.Start start = running.remove(view);
        ViewState before = stored(view);
        Instant verified = now.minus(io.mvrefresh.refresh.RefreshExecutor.STATISTICS_DELAY);
        ViewState row = new ViewState(view, before.lastSuccessAt(), verified, before.lastAttemptAt(),
                before.consecutiveFailures(),
                before.paused(), nextRevision++);
        stored.put(view, row);
        return finish(start, new RefreshOutcome.Skipped(SkipReason.UNCHANGED), Outcome.SKIPPED, SkipReason.UNCHANGED,
                Optional.of(row));
    }

    /** Another replica held the view's lock. */
    SchedulingPolicy.Finished lockedElsewhere(ViewId view) {
        SchedulingPolicy.Start start = running.remove(view);
        return finish(start, new RefreshOutcome.Skipped(SkipReason.LOCKED_ELSEWHERE), Outcome.SKIPPED,
                SkipReason.LOCKED_ELSEWHERE,
                Optional.empty());
    }

    private SchedulingPolicy.Finished finish(SchedulingPolicy.Start start, RefreshOutcome outcome, Outcome stored,
            SkipReason reason,
            Optional<ViewState> row) {
        Instant began = startedAt.getOrDefault(start.job().view(), now);
        startedAt.remove(start.job().view());
        RunRecord record = new RunRecord(start.job().runId(), start.job().view(), start.job().trigger(), outcome.mode(), "test",
                start.job().queuedAt(), began, now, stored, null, reason, null, null);
        SchedulingPolicy.Finished finished = policy.finish(start.ticket(), new CompletedRun(start.job(), outcome, record, row),
                now);
        // The dispatcher cascades to the readers at once.
        for (ViewId reader : finished.readers()) {
            request(reader, Trigger.DEPENDENCY);
        }
        return finished;
    }

    ViewState stored(ViewId view) {
        return stored.getOrDefault(view, ViewState.initial(view));
    }

    ViewSnapshot snapshot(ViewId view) {
        return policy.snapshot(view, now).orElseThrow();
    }
}
