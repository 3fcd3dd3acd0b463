package io.mvrefresh.refresh;

import io.mvrefresh.catalog.CatalogReader;
import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.DurationText;
import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.config.RefreshMode;
import io.mvrefresh.coordination.AdvisoryLocks;
import io.mvrefresh.pools.Pools;
import io.mvrefresh.refresh.RefreshOutcome.Failure;
import io.mvrefresh.state.OutcomeBacklog;
import io.mvrefresh.state.RunRecord;
import io.mvrefresh.state.StateStore;
import io.mvrefresh.state.StoredFreshness;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.tracing.RunTrace;
import io.mvrefresh.tracing.RunTracer;
import io.mvrefresh.vocabulary.AppliedMode;
import io.mvrefresh.vocabulary.SkipReason;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Runs one refresh against PostgreSQL: one transaction holding the view's advisory lock, with
 * {@code statement_timeout} and {@code lock_timeout} set locally, the REFRESH, and the success
 * recorded before the commit. Whatever happens, the returned run has an outcome and, when
 * PostgreSQL is reachable, a row in {@code refresh_run}.
 */
@ApplicationScoped
public class RefreshExecutor {

    /**
     * How late PostgreSQL may publish a committed write in its statistics: a backend flushes its
     * counts at most once a second, and one that then idles only when its idle timer fires (10 s,
     * PostgreSQL 15+). A check that finds nothing changed therefore vouches for the data only up to
     * this long before it, and the view's next check counts from there.
     */
    public static final Duration STATISTICS_DELAY = Duration.ofSeconds(11);
    /** What a run's other statements (begin, checks, commit) may take beyond its statement and lock timeouts. */
    static final Duration DEADLINE_MARGIN = Duration.ofSeconds(5);
    /** How long writing a run's outcome may take before it is tried again (and then kept for later). */
    private static final Duration RECORD_DEADLINE = Duration.ofSeconds(10);

    private static final int RECORD_ATTEMPTS = 4;
    private static final Duration RECORD_RETRY_FIRST = Duration.ofMillis(100);
    private static final Duration RECORD_RETRY_MAX = Duration.ofSeconds(1);

    private final Pools pools;
    private final Map<Long, SqlConnection> inFlight = new ConcurrentHashMap<>();
    private final CatalogReader catalog;
    private final StateStore state;
    private final OutcomeBacklog backlog;
    private final Clock clock;
    private final String instance;
    private final boolean logSuccesses;
    private final boolean waitsForStandbys;
    private final RunTracer tracer;

    public RefreshExecutor(Pools pools, CatalogReader catalog, StateStore state, OutcomeBacklog backlog, Clock clock,
            GlobalSettings config, RunTracer tracer) {
        this.tracer = tracer;
        this.backlog = backlog;
        this.pools = pools;
        this.catalog = catalog;
        this.state = state;
        this.clock = clock;
        this.instance = config.instance();
        this.logSuccesses = config.log().successes();
        this.waitsForStandbys = config.invalidation().replicas().enabled();
    }

    /** Runs {@code job}; the Uni never fails, every problem becomes the run's outcome. */
    public Uni<CompletedRun> execute(RefreshJob job) {
        Instant startedAt = clock.instant();
        AtomicReference<AppliedMode> attempted = new AtomicReference<>();
        Duration deadline = clientDeadline(job);
        RunTrace trace = tracer.start(job.view(), job.runId(), job.trigger().label(), job.queuedAt());
        trace.stepBetween("queue wait", job.queuedAt(), startedAt);
        return pools.refreshes().withSession(conn -> {
            inFlight.put(job.runId(), conn);
            return refreshInTransaction(conn, job, startedAt, attempted, trace)
                    .onFailure().call(() -> conn.query("ROLLBACK").execute().onFailure().recoverWithNull())
                    .onTermination().invoke(() -> inFlight.remove(job.runId()));
        })
                // A half-open connection (a failover without RST, a dropped NAT entry) never answers,
                // not even with the statement timeout's error: past this the run gives up, its session
                // is closed (abandoned mid-statement) and its slot comes back.
                .ifNoItem().after(deadline).failWith(() -> new TimeoutException("no answer from PostgreSQL within "
                        + DurationText.of(deadline) + " (statement and lock timeouts plus " + DurationText.of(DEADLINE_MARGIN)
                        + "); the connection was closed as half-open"))
                .onFailure().recoverWithUni(failure -> {
                    RefreshOutcome outcome = FailureClassifier.classify(failure, attempted.get());
                    CompletedRun run = completed(job, outcome, startedAt, Optional.empty(), null);
                    if (outcome instanceof RefreshOutcome.AlreadyFresh || outcome instanceof RefreshOutcome.WaitingForRelated) {
                        return Uni.createFrom().item(run);
                    }
                    // The connection that failed may not be the only broken one in the pool (a server
                    // restart breaks them all), so a few tries get a fresh one.
                    return state.recordUnsuccessful(run.record(), startedAt.minus(STATISTICS_DELAY))
                            .ifNoItem().after(RECORD_DEADLINE).fail()
                            .onFailure().retry().withBackOff(RECORD_RETRY_FIRST, RECORD_RETRY_MAX).atMost(RECORD_ATTEMPTS - 1)
                            .onFailure().recoverWithItem(e -> {
                                // Written when PostgreSQL answers again: the run id a caller got is never lost.
                                backlog.add(run.record(), startedAt.minus(STATISTICS_DELAY));
                                return Optional.<ViewState>empty();
                            })
                            .map(stored -> new CompletedRun(run.job(), run.outcome(), run.record(), stored));
                })
                .map(run -> traced(run, trace))
                .invoke(run -> log(job, run));
    }

    /** The run with its trace, which ends here unless an invalidation is still to come. */
    private static CompletedRun traced(CompletedRun run, RunTrace trace) {
        RunRecord record = run.record();
        trace.attribute("mvrefresh.outcome", record.outcome().label())
                .attribute("mvrefresh.mode", record.mode() == null ? null : record.mode().label());
        if (record.rowsChanged() != null) {
            trace.attribute("mvrefresh.rows_changed", record.rowsChanged());
        }
        if (record.skipReason() != null) {
            trace.attribute("mvrefresh.skip_reason", record.skipReason().label());
        }
        if (record.error() != null) {
            trace.failed(record.error());
        }
        CompletedRun traced = new CompletedRun(run.job(), run.outcome(), record, run.stored(), trace);
        if (!traced.owesInvalidation()) {
            trace.end();
        }
        return traced;
    }

    /**
     * One transaction in three round trips: statements that do not depend on each other's
     * answers are sent together and the connection pipelines them. The checks travel with the
     * lock attempt and are simply ignored when the lock is refused.
     */
    private Uni<CompletedRun> refreshInTransaction(SqlConnection conn, RefreshJob job, Instant startedAt,
            AtomicReference<AppliedMode> attempted, RunTrace trace) {
        return trace.step("lock", () -> Uni.combine().all()
                .unis(conn.query("BEGIN").execute().call(() -> askStandbysForFeedback(conn, job)),
                        AdvisoryLocks.limitAndTryLock(conn, job.view(), job.upstream(), job.settings().timeout(),
                                job.settings().lockTimeout()),
                        catalog.current(conn, job.view()),
                        state.storedFreshness(conn, job.view()),
                        fingerprint(conn, job))
                .asTuple())
                .map(answers -> {
                    var locks = answers.getItem2();
                    var current = answers.getItem3();
                    var stored = answers.getItem4();
                    var fingerprint = answers.getItem5();
                    // Another replica refreshes this view, or one it reads or that reads it: the
                    // same as if it held this view's own lock.
                    if (locks.lockedElsewhere()) {
                        throw new RefreshAborted(new RefreshOutcome.Skipped(SkipReason.LOCKED_ELSEWHERE));
                    }
                    if (!locks.granted()) {
                        throw new RefreshAborted(new RefreshOutcome.WaitingForRelated());
                    }
                    return new Checked(current, stored, fingerprint.orElse(null));
                })
                .flatMap(checked -> {
                    // Decided here, in the refresh's own transaction, so a view dropped, re-created
                    // or populated since the last catalog scan gets the REFRESH it allows now.
                    CatalogView view = checked.current().orElseThrow(() -> new RefreshAborted(new RefreshOutcome.Failed(
                            Failure.FAILED, null, "materialized view " + job.view() + " does not exist")));
                    AppliedMode mode = chooseMode(job.settings().mode(), view);
                    attempted.set(mode);
                    // A view re-created since the scan may read other tables than the scan found.
                    String fingerprint = job.scanned() != null && job.scanned().oid() == view.oid()
                            ? checked.fingerprint()
                            : null;
                    checkStillDue(job, view, checked.stored(), fingerprint);
                    Uni<Refreshing> refreshed = trace.step("refresh statement", () -> refresh(conn, view, mode))
                            .map(rowsChanged -> new Refreshing(mode, fingerprint, rowsChanged));
                    return job.settings().afterSql().isEmpty()
                            ? refreshed
                            : refreshed.call(() -> trace.step("after-sql", () -> afterSql(conn, job, mode)));
                })
                .flatMap(refreshing -> {
                    // The success rows commit with the refreshed contents or not at all: if writing
                    // them fails, the COMMIT behind them only ends the aborted transaction.
                    CompletedRun run = completed(job, new RefreshOutcome.Refreshed(refreshing.mode()), startedAt,
                            Optional.empty(), refreshing.rowsChanged());
                    // A refresh that changed no row owes its cache and its readers nothing.
                    boolean changed = !run.record().changedNothing();
                    boolean invalidates = run.owesInvalidation();
                    return trace.step("commit", () -> Uni.combine().all()
                            .unis(state.recordSuccess(conn, run.record(), refreshing.fingerprint(), invalidates,
                                    changed ? job.readers() : List.of()),
                                    conn.query("COMMIT").execute(),
                                    invalidates ? walPosition(conn) : Uni.createFrom().item(0L))
                            .with((stored, committed, position) -> new CompletedRun(run.job(),
                                    new RefreshOutcome.Refreshed(refreshing.mode(), position), run.record(),
                                    Optional.of(stored))));
                });
    }

    /**
     * The view's after-sql, in the refresh's own transaction: it commits with the refresh, and its
     * failure fails the run and rolls the refresh back. Trusted configuration, run as written.
     */
    private static Uni<Void> afterSql(SqlConnection conn, RefreshJob job, AppliedMode mode) {
        return conn.query(job.settings().afterSql().get()).execute().replaceWithVoid()
                .onFailure().transform(failure -> {
                    RefreshOutcome.Failed failed = (RefreshOutcome.Failed) FailureClassifier.classify(failure, mode);
                    return new RefreshAborted(new RefreshOutcome.Failed(failed.failure(), mode,
                            "after-sql failed, the refresh was rolled back: " + failed.error(), failed.connectionLost()));
                });
    }

    /*
     * A commit made under synchronous_commit = remote_apply carries a flag that makes every
     * standby report its replay position the moment it applies it, instead of at its next status
     * interval (10 s by default): the invalidation waiting for that position goes as soon as the
     * standby shows the refresh. The commit itself waits for synchronous standbys only, so where
     * there are any the setting is left alone: a refresh never waits for a standby's replay.
     */
    private static final String STANDBY_FEEDBACK = "SELECT set_config('synchronous_commit', 'remote_apply', true)"
            + " WHERE current_setting('synchronous_standby_names') = ''";

    private Uni<Void> askStandbysForFeedback(SqlConnection conn, RefreshJob job) {
        if (!waitsForStandbys || job.settings().invalidation().isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return conn.query(STANDBY_FEEDBACK).execute().replaceWithVoid();
    }

    private record Checked(Optional<CatalogView> current, StoredFreshness stored, String fingerprint) {
    }

    private record Refreshing(AppliedMode mode, String fingerprint, Long rowsChanged) {
    }

    /*
     * The view's insert and delete counts of this transaction. PostgreSQL keeps a backend's counts
     * pending until it reports them, between transactions, so they may hold earlier transactions'
     * counts too: only the difference across the REFRESH, read in its own transaction, is its own.
     * A CONCURRENTLY refresh fills a separate temporary relation and then deletes and inserts in
     * the view exactly the rows that differ.
     */
    private static final String MERGE_COUNTS = "SELECT pg_stat_get_xact_tuples_inserted($1::bigint::oid)"
            + " + pg_stat_get_xact_tuples_deleted($1::bigint::oid) AS rows";

    /*
     * Read in the session that committed, right after its COMMIT (pipelined behind it): the
     * insert position is at or after the commit record, so a standby past it has the refresh.
     */
    private static final String WAL_POSITION = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint AS position";

    private static Uni<Long> walPosition(SqlConnection conn) {
        // Never fails a committed run: unknown, the invalidation takes the position when it waits,
        // which is later still.
        return conn.query(WAL_POSITION).execute().map(rows -> rows.iterator().next().getLong("position"))
                .onFailure().recoverWithItem(RefreshOutcome.Refreshed.POSITION_UNKNOWN);
    }

    /**
     * Runs the REFRESH; answers the rows a CONCURRENTLY refresh's merge deleted plus those it
     * inserted, or null for a plain refresh, which rewrites every row and so cannot tell.
     */
    private static Uni<Long> refresh(SqlConnection conn, CatalogView view, AppliedMode mode) {
        Uni<?> statement = conn.query(refreshStatement(view, mode)).execute();
        if (mode != AppliedMode.CONCURRENT) {
            return statement.replaceWith((Long) null);
        }
        Tuple oid = Tuple.of(view.oid());
        // The first count travels with the REFRESH; the second must wait for it, or a failed
        // REFRESH would be reported as the aborted transaction's error on the count.
        return Uni.combine().all().unis(conn.preparedQuery(MERGE_COUNTS).execute(oid), statement)
                .with((before, refreshed) -> before.iterator().next().getLong("rows"))
                .flatMap(before -> conn.preparedQuery(MERGE_COUNTS).execute(oid)
                        .map(after -> after.iterator().next().getLong("rows") - before));
    }

    /**
     * The base tables' fingerprint, when skip-unchanged applies to the view: enabled, and its
     * result cannot change without a write.
     */
    private static Uni<Optional<String>> fingerprint(SqlConnection tx, RefreshJob job) {
        CatalogView scanned = job.scanned();
        if (!job.settings().skipUnchanged() || scanned == null || !scanned.changeDetectable()) {
            return Uni.createFrom().item(Optional.empty());
        }
        // The definition along the read path is part of it: a replaced plain view or function changes
        // the result without a write.
        return BaseTableFingerprint.take(tx, scanned.readOids()).map(taken -> Optional.of(taken + "#" + scanned.definition()));
    }

    /**
     * Aborts the run when there is nothing to do: another replica refreshed the view after this
     * one decided it was due, or (with skip-unchanged) nothing it reads changed since its last
     * refresh. Only a run the schedule asked for may conclude that (see
     * {@link io.mvrefresh.vocabulary.Trigger#mayConcludeNothingChanged}); every run stops when the
     * view was paused meanwhile, and an unpopulated view is always refreshed.
     */
    private static void checkStillDue(RefreshJob job, CatalogView current, StoredFreshness stored, String fingerprint) {
        if (stored.paused()) {
            // Paused, possibly by another replica after this run was queued.
            throw new RefreshAborted(new RefreshOutcome.Skipped(SkipReason.PAUSED));
        }
        if (!job.trigger().mayConcludeNothingChanged() || !current.populated()) {
            return;
        }
        boolean refreshedSinceQueued = stored.freshAsOf() != null
                && (job.knownFreshAsOf() == null || stored.freshAsOf().isAfter(job.knownFreshAsOf()));
        if (refreshedSinceQueued) {
            throw new RefreshAborted(new RefreshOutcome.AlreadyFresh());
        }
        // A notification proves a write; its counters may be published only after this read.
        if (job.settings().skipUnchanged() && !job.changeAnnounced() && fingerprint != null
                && fingerprint.equals(stored.fingerprint())) {
            throw new RefreshAborted(new RefreshOutcome.Skipped(SkipReason.UNCHANGED));
        }
    }

    /**
     * Asks PostgreSQL to cancel every refresh in progress (the protocol's cancel request, as
     * pg_cancel_backend would): each ends with PostgreSQL's "canceling statement due to user
     * request", its transaction rolled back and its advisory lock released, and is recorded
     * {@code cancelled}. Answers how many cancel requests were sent.
     */
    public Uni<Integer> cancelAll() {
        List<Uni<Void>> cancels = inFlight.values().stream()
                .map(conn -> PgConnection.cast(conn).cancelRequest().onFailure()
                        .invoke(e -> Log.warnf("could not send a cancel request: %s", e.getMessage())).onFailure()
                        .recoverWithNull())
                .toList();
        if (cancels.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return Uni.join().all(cancels).andCollectFailures().replaceWith(cancels.size());
    }

    /** What a view's configured mode means for it right now. */
    static AppliedMode chooseMode(RefreshMode requested, CatalogView view) {
        return view.modeInEffect(requested).orElseThrow(() -> new RefreshAborted(new RefreshOutcome.Failed(Failure.FAILED,
                AppliedMode.CONCURRENT, "mode is concurrent but REFRESH CONCURRENTLY is not possible: "
                        + view.concurrentlyIneligibleReason() + "; use mode auto or blocking, or fix the view")));
    }

    /** How long a run waits for PostgreSQL's answers at most: its timeouts, and a margin for the rest. */
    static Duration clientDeadline(RefreshJob job) {
        return job.settings().timeout().plus(job.settings().lockTimeout()).plus(DEADLINE_MARGIN);
    }

    /** The only SQL text built from a name; the name comes from the catalog and is quoted. */
    private static String refreshStatement(CatalogView view, AppliedMode mode) {
        return "REFRESH MATERIALIZED VIEW " + (mode == AppliedMode.CONCURRENT ? "CONCURRENTLY " : "") + view.id().quoted();
    }

    private CompletedRun completed(RefreshJob job, RefreshOutcome outcome, Instant startedAt, Optional<ViewState> stored,
            Long rowsChanged) {
        boolean reachedServer = !(outcome instanceof RefreshOutcome.Skipped);
        String error = outcome instanceof RefreshOutcome.Failed failed ? failed.error() : null;
        SkipReason skipReason = outcome instanceof RefreshOutcome.Skipped skipped ? skipped.reason() : null;
        RunRecord record = new RunRecord(job.runId(), job.view(), job.trigger(), outcome.mode(), instance, job.queuedAt(),
                reachedServer ? startedAt : null, clock.instant(), outcome.outcome(), error, skipReason, null, rowsChanged);
        return new CompletedRun(job, outcome, record, stored);
    }

    private static String afterRefresh(RefreshJob job, RunRecord record) {
        boolean invalidates = !job.settings().invalidation().isEmpty();
        if (record.changedNothing()) {
            return "; no row changed" + (invalidates ? ", cache keys kept" : "")
                    + (job.readers().isEmpty() ? "" : ", readers not due");
        }
        String rows = record.rowsChanged() == null ? "" : "; " + record.rowsChanged() + " row(s) changed";
        return rows + (invalidates ? "; invalidating its cache keys" : "");
    }

    private void log(RefreshJob job, CompletedRun run) {
        RunRecord record = run.record();
        long millis = record.startedAt() == null ? 0 : Duration.between(record.startedAt(), record.finishedAt()).toMillis();
        String trace = run.trace().logSuffix();
        switch (run.outcome()) {
            case RefreshOutcome.Refreshed refreshed -> Log.logf(logSuccesses
                    ? Logger.Level.INFO
                    : Logger.Level.DEBUG, "%s refreshed %s in %d ms%s%s", job.logPrefix(),
                    refreshed.mode() == AppliedMode.CONCURRENT ? "CONCURRENTLY" : "(plain)", millis, afterRefresh(job, record),
                    trace);
            case RefreshOutcome.Skipped skipped -> Log.debugf("%s skipped: %s%s", job.logPrefix(), skipped.reason().label(),
                    trace);
            case RefreshOutcome.AlreadyFresh fresh ->
                Log.debugf("%s not needed: refreshed elsewhere since it fell due%s", job.logPrefix(), trace);
            case RefreshOutcome.WaitingForRelated waiting ->
                Log.debugf("%s waits: another replica refreshes a view it reads or that reads it", job.logPrefix());
            case RefreshOutcome.Failed failed -> Log.warnf("%s %s after %d ms: %s%s", job.logPrefix(),
                    failed.outcome().label(), millis, failed.error(), trace);
        }
    }
}
