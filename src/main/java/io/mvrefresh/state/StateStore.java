package io.mvrefresh.state;

import io.mvrefresh.vocabulary.AppliedMode;
import io.mvrefresh.vocabulary.Outcome;
import io.mvrefresh.vocabulary.SkipReason;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Reads and writes {@code mvrefresh.refresh_run} and {@code mvrefresh.view_state}. Every write of
 * a {@code view_state} row answers with the row as PostgreSQL left it ({@code RETURNING}), so the
 * stored state has one owner and the dispatcher never recomputes it.
 */
@ApplicationScoped
public class StateStore {

    private static final String ALLOCATE_RUN_IDS =
            "SELECT nextval('mvrefresh.refresh_run_id_seq') AS id FROM generate_series(1, $1)";

    private static final String STATE_COLUMNS = """
            view, schema_name, view_name, last_success_at, last_verified_at, last_attempt_at, consecutive_failures, paused, revision,
            skips_unchanged, skips_locked_elsewhere, skips_paused, last_skip_at, last_skip_reason, last_success_started_at
            """;

    private static final String NEXT_REVISION = "nextval('mvrefresh.view_state_revision_seq')";

    /**
     * The SET clause every update of a row the dispatcher reads carries: its order, and the
     * transaction that wrote it (an inserted row gets the latter from the column's default).
     */
    private static final String REVISED = "revision = " + NEXT_REVISION + ", written_xid = pg_current_xact_id()";

    private static final String INSERT_RUN = """
            INSERT INTO mvrefresh.refresh_run
                (id, view, schema_name, view_name, trigger, mode, instance, queued_at, started_at, finished_at, outcome, error, skip_reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            """;

    /*
     * GREATEST keeps the newest timestamp when two replicas or a late write race each other. When
     * the view has invalidation rules ($6), the invalidation it now owes is recorded with the
     * refresh itself ($7: the instance that will carry it out), so it survives a restart.
     */
    private static final String RECORD_SUCCESS = """
            INSERT INTO mvrefresh.view_state AS s
                (view, schema_name, view_name, last_success_at, last_verified_at, last_attempt_at, consecutive_failures, fingerprint, revision,
                 invalidation_owed_run, invalidation_owed_since, invalidation_owed_by, last_success_started_at)
            VALUES ($1, $2, $3, $4::timestamptz, $4::timestamptz, $4::timestamptz, 0, $5::text, %1$s,
                    CASE WHEN $6::boolean THEN $8::bigint END, CASE WHEN $6::boolean THEN $4::timestamptz END,
                    CASE WHEN $6::boolean THEN $7::text END, $9::timestamptz)
            ON CONFLICT (view) DO UPDATE
               SET schema_name = EXCLUDED.schema_name, view_name = EXCLUDED.view_name,
                   last_success_at = GREATEST(s.last_success_at, EXCLUDED.last_success_at),
                   last_verified_at = GREATEST(s.last_verified_at, EXCLUDED.last_verified_at),
                   last_attempt_at = GREATEST(s.last_attempt_at, EXCLUDED.last_attempt_at),
                   consecutive_failures = 0,
                   fingerprint = EXCLUDED.fingerprint,
                   last_success_started_at = GREATEST(s.last_success_started_at, EXCLUDED.last_success_started_at),
                   invalidation_owed_run = CASE WHEN $6 THEN GREATEST(s.invalidation_owed_run, EXCLUDED.invalidation_owed_run)
                                                ELSE s.invalidation_owed_run END,
                   invalidation_owed_since = CASE WHEN $6 THEN EXCLUDED.invalidation_owed_since ELSE s.invalidation_owed_since END,
                   invalidation_owed_by = CASE WHEN $6 THEN EXCLUDED.invalidation_owed_by ELSE s.invalidation_owed_by END,
                   %3$s
            RETURNING %2$s
            """.formatted(NEXT_REVISION, STATE_COLUMNS, REVISED);

    private static final String RECORD_VERIFIED = """
            UPDATE mvrefresh.view_state
               SET last_verified_at = GREATEST(last_verified_at, $2), skips_unchanged = skips_unchanged + 1,
                   last_skip_at = $3, last_skip_reason = 'unchanged', %s
             WHERE view = $1
            RETURNING %s
            """.formatted(REVISED, STATE_COLUMNS);

    private static final String RECORD_SKIP = """
            INSERT INTO mvrefresh.view_state AS s (view, schema_name, view_name, skips_locked_elsewhere, skips_paused, last_skip_at,
                                                   last_skip_reason, revision)
            VALUES ($1, $2, $3, CASE WHEN $5::text = 'locked_elsewhere' THEN 1 ELSE 0 END,
                    CASE WHEN $5::text = 'paused' THEN 1 ELSE 0 END, $4::timestamptz, $5::text, %1$s)
            ON CONFLICT (view) DO UPDATE
               SET skips_locked_elsewhere = s.skips_locked_elsewhere + EXCLUDED.skips_locked_elsewhere,
                   skips_paused = s.skips_paused + EXCLUDED.skips_paused,
                   last_skip_at = GREATEST(s.last_skip_at, EXCLUDED.last_skip_at),
                   last_skip_reason = EXCLUDED.last_skip_reason,
                   %3$s
            RETURNING %2$s
            """.formatted(NEXT_REVISION, STATE_COLUMNS, REVISED);

    private static final String CLEAR_OWED_INVALIDATION = """
            UPDATE mvrefresh.view_state
               SET invalidation_owed_run = NULL, invalidation_owed_since = NULL, invalidation_owed_by = NULL
             WHERE view = $1 AND invalidation_owed_run <= $2
            """;

    /*
     * Invalidations owed and not done: this instance's own (it restarted, or its queue was
     * full), and any other's older than $2 (its replica is gone, or cannot reach Redis). Claiming
     * moves their "since", so another replica does not take them at the same moment.
     */
    private static final String CLAIM_OWED_INVALIDATIONS = """
            UPDATE mvrefresh.view_state
               SET invalidation_owed_since = $3, invalidation_owed_by = $4
             WHERE invalidation_owed_run IS NOT NULL AND (invalidation_owed_by = $1::text OR invalidation_owed_since < $2::timestamptz)
            RETURNING view, schema_name, view_name, invalidation_owed_run, last_success_at
            """;

    private static final String STORED_FRESHNESS = """
            SELECT fingerprint, last_success_at, last_verified_at, paused FROM mvrefresh.view_state WHERE view = $1
            """;

    // A failure written late (it waited for PostgreSQL) that ended before the view's last success
    // counts for nothing: the view is not failing.
    private static final String RECORD_FAILURE = """
            INSERT INTO mvrefresh.view_state AS s (view, schema_name, view_name, last_attempt_at, consecutive_failures, revision)
            VALUES ($1, $2, $3, $4, 1, %1$s)
            ON CONFLICT (view) DO UPDATE
               SET last_attempt_at = GREATEST(s.last_attempt_at, EXCLUDED.last_attempt_at),
                   consecutive_failures = CASE WHEN s.last_success_at IS NULL OR EXCLUDED.last_attempt_at > s.last_success_at
                                               THEN s.consecutive_failures + 1 ELSE s.consecutive_failures END,
                   %3$s
            RETURNING %2$s
            """.formatted(NEXT_REVISION, STATE_COLUMNS, REVISED);

    private static final String SET_PAUSED = """
            INSERT INTO mvrefresh.view_state AS s (view, schema_name, view_name, paused, revision) VALUES ($1, $2, $3, $4, %1$s)
            ON CONFLICT (view) DO UPDATE SET paused = EXCLUDED.paused, %3$s
            RETURNING %2$s
            """.formatted(NEXT_REVISION, STATE_COLUMNS, REVISED);

    private static final String RECORD_KEYS_INVALIDATED =
            "UPDATE mvrefresh.refresh_run SET keys_invalidated = $2 WHERE id = $1";

    /*
     * Rows written by transactions that may not have been finished at the previous read ($1: the
     * oldest transaction still running then), and the same bound for the next read. Every
     * transaction older than that bound had ended, so what it wrote was in the previous read
     * already; a row's writer cannot be older than the bound while it is still running. The LEFT
     * JOIN answers the bound even when no row qualifies.
     */
    private static final String VIEW_STATES_SINCE = """
            SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon, %s
              FROM (SELECT 1) AS one
              LEFT JOIN mvrefresh.view_state ON written_xid >= $1::text::xid8
            """.formatted(STATE_COLUMNS);

    private static final String RUN_COLUMNS = """
            id, view, schema_name, view_name, trigger, mode, instance, queued_at, started_at, finished_at, outcome, error,
            skip_reason, keys_invalidated
            """;

    private static final String LATEST_RUN_PER_VIEW = "SELECT DISTINCT ON (view) " + RUN_COLUMNS
            + " FROM mvrefresh.refresh_run WHERE outcome <> 'skipped' ORDER BY view, id DESC";

    private static final String RECENT_RUNS = "SELECT " + RUN_COLUMNS
            + " FROM mvrefresh.refresh_run WHERE ($1::text IS NULL OR view = $1) ORDER BY id DESC LIMIT $2";

    private static final String RUN_BY_ID = "SELECT " + RUN_COLUMNS + " FROM mvrefresh.refresh_run WHERE id = $1";

    private static final String PRUNE_BATCH = """
            DELETE FROM mvrefresh.refresh_run
             WHERE id IN (SELECT id FROM mvrefresh.refresh_run WHERE finished_at < $1 ORDER BY finished_at LIMIT $2)
            """;

    /** Rows one prune statement deletes at most: short statements, short locks, small WAL bursts. */
    static final int PRUNE_BATCH_SIZE = 5_000;

    private static final String UNIQUE_VIOLATION = "23505";

    private final Pool pool;

    public StateStore(Pool pool) {
        this.pool = pool;
    }

    /** Reserves {@code count} run ids, so a run has its id from the moment it is queued. */
    public Uni<List<Long>> allocateRunIds(int count) {
        return pool.preparedQuery(ALLOCATE_RUN_IDS).execute(Tuple.of(count)).map(rows -> {
            List<Long> ids = new ArrayList<>(count);
            rows.forEach(row -> ids.add(row.getLong("id")));
            return ids;
        });
    }

    /**
     * Records a successful run on {@code transaction}, the refresh's own transaction, so the
     * stored last success and fingerprint commit exactly when the refreshed contents do. Answers
     * the view's row as the transaction leaves it.
     *
     * @param fingerprint the base tables' state taken just before the REFRESH, or null when the
     *     view's changes cannot be detected
     */
    public Uni<ViewState> recordSuccess(SqlClient transaction, RunRecord run, String fingerprint, boolean owesInvalidation) {
        ViewId view = run.view();
        Tuple values = Tuple.from(Arrays.asList(view.toString(), view.schema(), view.name(), timestamp(run.finishedAt()), fingerprint,
                owesInvalidation, run.instance(), run.id(), timestamp(run.startedAt())));
        // Sent together: the connection pipelines them into one round trip.
        return Uni.combine().all()
                .unis(insertRun(transaction, run), transaction.preparedQuery(RECORD_SUCCESS).execute(values))
                .with((inserted, rows) -> onlyState(rows).orElseThrow());
    }

    /** What a refresh transaction needs to know about the view's last refresh, read on {@code transaction}. */
    public Uni<StoredFreshness> storedFreshness(SqlClient transaction, ViewId view) {
        return transaction.preparedQuery(STORED_FRESHNESS).execute(Tuple.of(view.toString())).map(rows -> {
            if (rows.size() == 0) {
                return StoredFreshness.NEVER;
            }
            Row row = rows.iterator().next();
            return new StoredFreshness(row.getString("fingerprint"), instant(row, "last_success_at"), instant(row, "last_verified_at"),
                    row.getBoolean("paused"));
        });
    }

    /**
     * Records a run that did not succeed, and answers the view's row as it left it. A failure
     * (failed, timed out, cancelled) is a row of {@code refresh_run} and one more consecutive
     * failure. A skip is no row of history, only counted on the view: one because nothing changed
     * also marks the view verified as of {@code verifiedAsOf}.
     */
    public Uni<Optional<ViewState>> recordUnsuccessful(RunRecord run, Instant verifiedAsOf) {
        ViewId view = run.view();
        if (run.outcome() == Outcome.SKIPPED) {
            if (run.skipReason() == SkipReason.UNCHANGED) {
                return pool.preparedQuery(RECORD_VERIFIED)
                        .execute(Tuple.of(view.toString(), timestamp(verifiedAsOf), timestamp(run.finishedAt())))
                        .map(StateStore::onlyState);
            }
            return pool.preparedQuery(RECORD_SKIP)
                    .execute(Tuple.of(view.toString(), view.schema(), view.name(), timestamp(run.finishedAt()), run.skipReason().label()))
                    .map(StateStore::onlyState);
        }
        return pool.withTransaction(conn -> insertRun(conn, run)
                .flatMap(ignored -> conn.preparedQuery(RECORD_FAILURE)
                        .execute(Tuple.of(view.toString(), view.schema(), view.name(), timestamp(run.finishedAt()))))
                .map(StateStore::onlyState));
    }

    /** Whether writing a run failed because its row exists already (an earlier attempt did commit). */
    public static boolean isDuplicateRun(Throwable failure) {
        return failure instanceof io.vertx.pgclient.PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState());
    }

    /** The view's owed invalidation up to {@code runId} is done. */
    public Uni<Void> clearOwedInvalidation(ViewId view, long runId) {
        return pool.preparedQuery(CLEAR_OWED_INVALIDATION).execute(Tuple.of(view.toString(), runId)).replaceWithVoid();
    }

    /** An invalidation a committed refresh owes and that is not done. */
    public record OwedInvalidation(ViewId view, long runId, Instant refreshedAt) {
    }

    /**
     * Claims, for {@code claimant}, the invalidations owed since before {@code orphanedBefore}, and
     * those {@code owner} owes whatever their age (null: none).
     */
    public Uni<List<OwedInvalidation>> claimOwedInvalidations(String owner, Instant orphanedBefore, Instant now, String claimant) {
        return pool.preparedQuery(CLAIM_OWED_INVALIDATIONS)
                .execute(Tuple.of(owner, timestamp(orphanedBefore), timestamp(now), claimant))
                .map(rows -> {
                    List<OwedInvalidation> owed = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        viewOf(row).ifPresent(view -> owed.add(new OwedInvalidation(view, row.getLong("invalidation_owed_run"),
                                instant(row, "last_success_at"))));
                    }
                    return owed;
                });
    }

    /** Pauses or resumes a view for every replica, across restarts; answers the row it left. */
    public Uni<ViewState> setPaused(ViewId view, boolean paused) {
        return pool.preparedQuery(SET_PAUSED).execute(Tuple.of(view.toString(), view.schema(), view.name(), paused))
                .map(rows -> onlyState(rows).orElseThrow());
    }

    /** Fills in how many cache keys a run's invalidation removed. */
    public Uni<Void> recordKeysInvalidated(long runId, long keys) {
        return pool.preparedQuery(RECORD_KEYS_INVALIDATED).execute(Tuple.of(runId, keys)).replaceWithVoid();
    }

    /**
     * The view states written since {@code since} (a {@link StateChanges#horizon()} of an earlier
     * read; 0 reads every row), so a tick reads what other replicas and requests changed, not the
     * whole table every second.
     */
    public Uni<StateChanges> viewStatesWrittenSince(long since) {
        return pool.preparedQuery(VIEW_STATES_SINCE).execute(Tuple.of(Long.toUnsignedString(since))).map(rows -> {
            List<ViewState> states = new ArrayList<>(rows.size());
            long horizon = since;
            for (Row row : rows) {
                horizon = Long.parseUnsignedLong(row.getString("horizon"));
                if (row.getString("view") != null) {
                    toState(row).ifPresent(states::add);
                }
            }
            return new StateChanges(states, horizon);
        });
    }

    /** The newest run of each view that was not a skip, to show the last outcome after a restart. */
    public Uni<List<RunRecord>> latestRunPerView() {
        return pool.query(LATEST_RUN_PER_VIEW).execute().map(StateStore::toRuns);
    }

    /** The newest runs, optionally of one view, newest first. */
    public Uni<List<RunRecord>> recentRuns(Optional<ViewId> view, int limit) {
        return pool.preparedQuery(RECENT_RUNS).execute(Tuple.of(view.map(ViewId::toString).orElse(null), limit))
                .map(StateStore::toRuns);
    }

    /** One run by id. */
    public Uni<Optional<RunRecord>> run(long id) {
        return pool.preparedQuery(RUN_BY_ID).execute(Tuple.of(id)).map(rows -> toRuns(rows).stream().findFirst());
    }

    /**
     * Deletes runs that finished before {@code before}, in batches of {@link #PRUNE_BATCH_SIZE}
     * statements of their own; answers how many.
     */
    public Uni<Integer> pruneRunsBefore(Instant before) {
        return pruneFrom(before, 0);
    }

    private Uni<Integer> pruneFrom(Instant before, int pruned) {
        return pool.preparedQuery(PRUNE_BATCH).execute(Tuple.of(timestamp(before), PRUNE_BATCH_SIZE)).flatMap(rows ->
                rows.rowCount() < PRUNE_BATCH_SIZE
                        ? Uni.createFrom().item(pruned + rows.rowCount())
                        : pruneFrom(before, pruned + rows.rowCount()));
    }

    private static Uni<Void> insertRun(SqlClient client, RunRecord run) {
        Tuple values = Tuple.from(Arrays.asList(
                run.id(),
                run.view().toString(),
                run.view().schema(),
                run.view().name(),
                run.trigger().label(),
                run.mode() == null ? null : run.mode().label(),
                run.instance(),
                timestamp(run.queuedAt()),
                timestamp(run.startedAt()),
                timestamp(run.finishedAt()),
                run.outcome().label(),
                run.error(),
                run.skipReason() == null ? null : run.skipReason().label()));
        return client.preparedQuery(INSERT_RUN).execute(values).replaceWithVoid();
    }

    private static Optional<ViewState> onlyState(RowSet<Row> rows) {
        return rows.size() == 0 ? Optional.empty() : toState(rows.iterator().next());
    }

    private static Optional<ViewState> toState(Row row) {
        String lastSkip = row.getString("last_skip_reason");
        SkipCounts skips = new SkipCounts(row.getLong("skips_unchanged"), row.getLong("skips_locked_elsewhere"),
                row.getLong("skips_paused"), instant(row, "last_skip_at"), lastSkip == null ? null : SkipReason.fromLabel(lastSkip));
        return viewOf(row).map(id -> new ViewState(id, instant(row, "last_success_at"), instant(row, "last_verified_at"),
                instant(row, "last_attempt_at"), row.getInteger("consecutive_failures"), row.getBoolean("paused"),
                row.getLong("revision"), skips, instant(row, "last_success_started_at")));
    }

    /** Rows carry schema and name apart; rows from before that was stored only have the joined text. */
    private static Optional<ViewId> viewOf(Row row) {
        String schema = row.getString("schema_name");
        String name = row.getString("view_name");
        if (schema != null && !schema.isEmpty() && name != null && !name.isEmpty()) {
            return Optional.of(new ViewId(schema, name));
        }
        return ViewId.parse(row.getString("view"));
    }

    private static List<RunRecord> toRuns(RowSet<Row> rows) {
        List<RunRecord> runs = new ArrayList<>(rows.size());
        for (Row row : rows) {
            viewOf(row).ifPresent(view -> runs.add(new RunRecord(
                    row.getLong("id"),
                    view,
                    Trigger.fromLabel(row.getString("trigger")),
                    row.getString("mode") == null ? null : AppliedMode.fromLabel(row.getString("mode")),
                    row.getString("instance"),
                    instant(row, "queued_at"),
                    instant(row, "started_at"),
                    instant(row, "finished_at"),
                    Outcome.fromLabel(row.getString("outcome")),
                    row.getString("error"),
                    row.getString("skip_reason") == null ? null : SkipReason.fromLabel(row.getString("skip_reason")),
                    row.getLong("keys_invalidated"))));
        }
        return runs;
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }
}
