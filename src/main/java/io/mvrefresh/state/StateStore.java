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
            view, schema_name, view_name, last_success_at, last_verified_at, last_attempt_at, consecutive_failures, paused, revision
            """;

    private static final String NEXT_REVISION = "nextval('mvrefresh.view_state_revision_seq')";

    private static final String INSERT_RUN = """
            INSERT INTO mvrefresh.refresh_run
                (id, view, schema_name, view_name, trigger, mode, instance, queued_at, started_at, finished_at, outcome, error, skip_reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            """;

    // GREATEST keeps the newest timestamp when two replicas or a late write race each other.
    private static final String RECORD_SUCCESS = """
            INSERT INTO mvrefresh.view_state AS s
                (view, schema_name, view_name, last_success_at, last_verified_at, last_attempt_at, consecutive_failures, fingerprint, revision)
            VALUES ($1, $2, $3, $4, $4, $4, 0, $5, %1$s)
            ON CONFLICT (view) DO UPDATE
               SET schema_name = EXCLUDED.schema_name, view_name = EXCLUDED.view_name,
                   last_success_at = GREATEST(s.last_success_at, EXCLUDED.last_success_at),
                   last_verified_at = GREATEST(s.last_verified_at, EXCLUDED.last_verified_at),
                   last_attempt_at = GREATEST(s.last_attempt_at, EXCLUDED.last_attempt_at),
                   consecutive_failures = 0,
                   fingerprint = EXCLUDED.fingerprint,
                   revision = %1$s
            RETURNING %2$s
            """.formatted(NEXT_REVISION, STATE_COLUMNS);

    private static final String RECORD_VERIFIED = """
            UPDATE mvrefresh.view_state
               SET last_verified_at = GREATEST(last_verified_at, $2), revision = %s
             WHERE view = $1
            RETURNING %s
            """.formatted(NEXT_REVISION, STATE_COLUMNS);

    private static final String STORED_FRESHNESS = """
            SELECT fingerprint, last_success_at, last_verified_at, paused FROM mvrefresh.view_state WHERE view = $1
            """;

    private static final String RECORD_FAILURE = """
            INSERT INTO mvrefresh.view_state AS s (view, schema_name, view_name, last_attempt_at, consecutive_failures, revision)
            VALUES ($1, $2, $3, $4, 1, %1$s)
            ON CONFLICT (view) DO UPDATE
               SET last_attempt_at = GREATEST(s.last_attempt_at, EXCLUDED.last_attempt_at),
                   consecutive_failures = s.consecutive_failures + 1,
                   revision = %1$s
            RETURNING %2$s
            """.formatted(NEXT_REVISION, STATE_COLUMNS);

    private static final String SET_PAUSED = """
            INSERT INTO mvrefresh.view_state AS s (view, schema_name, view_name, paused, revision) VALUES ($1, $2, $3, $4, %1$s)
            ON CONFLICT (view) DO UPDATE SET paused = EXCLUDED.paused, revision = %1$s
            RETURNING %2$s
            """.formatted(NEXT_REVISION, STATE_COLUMNS);

    private static final String RECORD_KEYS_INVALIDATED =
            "UPDATE mvrefresh.refresh_run SET keys_invalidated = $2 WHERE id = $1";

    private static final String VIEW_STATES = "SELECT " + STATE_COLUMNS + " FROM mvrefresh.view_state";

    private static final String RUN_COLUMNS = """
            id, view, schema_name, view_name, trigger, mode, instance, queued_at, started_at, finished_at, outcome, error,
            skip_reason, keys_invalidated
            """;

    private static final String LATEST_RUN_PER_VIEW = "SELECT DISTINCT ON (view) " + RUN_COLUMNS
            + " FROM mvrefresh.refresh_run WHERE outcome <> 'skipped' ORDER BY view, id DESC";

    private static final String RECENT_RUNS = "SELECT " + RUN_COLUMNS
            + " FROM mvrefresh.refresh_run WHERE ($1::text IS NULL OR view = $1) ORDER BY id DESC LIMIT $2";

    private static final String RUN_BY_ID = "SELECT " + RUN_COLUMNS + " FROM mvrefresh.refresh_run WHERE id = $1";

    private static final String PRUNE = "DELETE FROM mvrefresh.refresh_run WHERE finished_at < $1";

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
    public Uni<ViewState> recordSuccess(SqlClient transaction, RunRecord run, String fingerprint) {
        ViewId view = run.view();
        // Sent together: the connection pipelines them into one round trip.
        return Uni.combine().all()
                .unis(insertRun(transaction, run), transaction.preparedQuery(RECORD_SUCCESS)
                        .execute(Tuple.of(view.toString(), view.schema(), view.name(), timestamp(run.finishedAt()), fingerprint)))
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
     * Records a run that did not succeed (failed, timed out, cancelled or skipped) in its own
     * transaction, and answers the view's row when the run changed it: a failure counts one more
     * consecutive failure; a skip because nothing changed marks the view verified as of
     * {@code verifiedAsOf}; other skips leave the row alone.
     */
    public Uni<Optional<ViewState>> recordUnsuccessful(RunRecord run, Instant verifiedAsOf) {
        ViewId view = run.view();
        return pool.withTransaction(conn -> {
            Uni<Void> inserted = insertRun(conn, run);
            if (run.outcome() == Outcome.SKIPPED) {
                if (run.skipReason() != SkipReason.UNCHANGED) {
                    return inserted.replaceWith(Optional.<ViewState>empty());
                }
                return inserted.flatMap(ignored -> conn.preparedQuery(RECORD_VERIFIED)
                        .execute(Tuple.of(view.toString(), timestamp(verifiedAsOf)))).map(StateStore::onlyState);
            }
            return inserted.flatMap(ignored -> conn.preparedQuery(RECORD_FAILURE)
                    .execute(Tuple.of(view.toString(), view.schema(), view.name(), timestamp(run.finishedAt()))))
                    .map(StateStore::onlyState);
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

    /** Every stored view state. */
    public Uni<List<ViewState>> viewStates() {
        return pool.query(VIEW_STATES).execute().map(rows -> {
            List<ViewState> states = new ArrayList<>(rows.size());
            rows.forEach(row -> toState(row).ifPresent(states::add));
            return states;
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

    /** Deletes runs that finished before {@code before}; answers how many. */
    public Uni<Integer> pruneRunsBefore(Instant before) {
        return pool.preparedQuery(PRUNE).execute(Tuple.of(timestamp(before))).map(rows -> rows.rowCount());
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
        return viewOf(row).map(id -> new ViewState(id, instant(row, "last_success_at"), instant(row, "last_verified_at"),
                instant(row, "last_attempt_at"), row.getInteger("consecutive_failures"), row.getBoolean("paused"),
                row.getLong("revision")));
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
