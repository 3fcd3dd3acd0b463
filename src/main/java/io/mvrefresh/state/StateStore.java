package io.mvrefresh.state;

import io.mvrefresh.catalog.ViewId;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads and writes {@code mvrefresh.refresh_run} and {@code mvrefresh.view_state}. */
@ApplicationScoped
public class StateStore {

    private static final String ALLOCATE_RUN_IDS =
            "SELECT nextval('mvrefresh.refresh_run_id_seq') AS id FROM generate_series(1, $1)";

    private static final String INSERT_RUN = """
            INSERT INTO mvrefresh.refresh_run
                (id, view, trigger, mode, instance, queued_at, started_at, finished_at, outcome, error, skip_reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """;

    // GREATEST keeps the newest timestamp when two replicas or a late write race each other.
    private static final String RECORD_SUCCESS = """
            INSERT INTO mvrefresh.view_state AS s
                (view, last_success_at, last_verified_at, last_attempt_at, consecutive_failures, fingerprint)
            VALUES ($1, $2, $2, $2, 0, $3)
            ON CONFLICT (view) DO UPDATE
               SET last_success_at = GREATEST(s.last_success_at, EXCLUDED.last_success_at),
                   last_verified_at = GREATEST(s.last_verified_at, EXCLUDED.last_verified_at),
                   last_attempt_at = GREATEST(s.last_attempt_at, EXCLUDED.last_attempt_at),
                   consecutive_failures = 0,
                   fingerprint = EXCLUDED.fingerprint
            """;

    private static final String RECORD_VERIFIED = """
            UPDATE mvrefresh.view_state SET last_verified_at = GREATEST(last_verified_at, $2) WHERE view = $1
            """;

    private static final String STORED_FRESHNESS = """
            SELECT fingerprint, last_success_at, last_verified_at, paused FROM mvrefresh.view_state WHERE view = $1
            """;

    private static final String RECORD_FAILURE = """
            INSERT INTO mvrefresh.view_state AS s (view, last_attempt_at, consecutive_failures)
            VALUES ($1, $2, 1)
            ON CONFLICT (view) DO UPDATE
               SET last_attempt_at = GREATEST(s.last_attempt_at, EXCLUDED.last_attempt_at),
                   consecutive_failures = s.consecutive_failures + 1
            """;

    private static final String SET_PAUSED = """
            INSERT INTO mvrefresh.view_state AS s (view, paused) VALUES ($1, $2)
            ON CONFLICT (view) DO UPDATE SET paused = EXCLUDED.paused
            """;

    private static final String RECORD_KEYS_INVALIDATED =
            "UPDATE mvrefresh.refresh_run SET keys_invalidated = $2 WHERE id = $1";

    private static final String VIEW_STATES = """
            SELECT view, last_success_at, last_verified_at, last_attempt_at, consecutive_failures, paused
            FROM mvrefresh.view_state
            """;

    private static final String RUN_COLUMNS = """
            id, view, trigger, mode, instance, queued_at, started_at, finished_at, outcome, error, skip_reason, keys_invalidated
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
     * stored last success and fingerprint commit exactly when the refreshed contents do.
     *
     * @param fingerprint the base tables' state taken just before the REFRESH, or null when the
     *     view's changes cannot be detected
     */
    public Uni<Void> recordSuccess(SqlClient transaction, RunRecord run, String fingerprint) {
        // Sent together: the connection pipelines them into one round trip.
        return Uni.combine().all()
                .unis(insertRun(transaction, run), transaction.preparedQuery(RECORD_SUCCESS)
                        .execute(Tuple.of(run.view().toString(), timestamp(run.finishedAt()), fingerprint)))
                .discardItems();
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
     * transaction. A skip because nothing changed also marks the view verified as of its end.
     */
    public Uni<Void> recordUnsuccessful(RunRecord run) {
        return pool.withTransaction(conn -> {
            Uni<Void> inserted = insertRun(conn, run);
            if (run.outcome() == Outcome.SKIPPED) {
                if (!"unchanged".equals(run.skipReason())) {
                    return inserted;
                }
                return inserted.flatMap(ignored -> conn.preparedQuery(RECORD_VERIFIED)
                        .execute(Tuple.of(run.view().toString(), timestamp(run.finishedAt())))).replaceWithVoid();
            }
            return inserted.flatMap(ignored -> conn.preparedQuery(RECORD_FAILURE)
                    .execute(Tuple.of(run.view().toString(), timestamp(run.finishedAt())))).replaceWithVoid();
        });
    }

    /** Pauses or resumes a view for every replica, across restarts. */
    public Uni<Void> setPaused(ViewId view, boolean paused) {
        return pool.preparedQuery(SET_PAUSED).execute(Tuple.of(view.toString(), paused)).replaceWithVoid();
    }

    /** Fills in how many cache keys a run's invalidation removed. */
    public Uni<Void> recordKeysInvalidated(long runId, long keys) {
        return pool.preparedQuery(RECORD_KEYS_INVALIDATED).execute(Tuple.of(runId, keys)).replaceWithVoid();
    }

    /** Every stored view state. */
    public Uni<Map<ViewId, ViewState>> viewStates() {
        return pool.query(VIEW_STATES).execute().map(rows -> {
            Map<ViewId, ViewState> states = new HashMap<>();
            for (Row row : rows) {
                Optional<ViewId> view = ViewId.parse(row.getString("view"));
                view.ifPresent(id -> states.put(id, new ViewState(id, instant(row, "last_success_at"), instant(row, "last_verified_at"),
                        instant(row, "last_attempt_at"), row.getInteger("consecutive_failures"), row.getBoolean("paused"))));
            }
            return states;
        });
    }

    /** The newest run of each view that was not a skip, to show the last outcome after a restart. */
    public Uni<Map<ViewId, RunRecord>> latestRunPerView() {
        return pool.query(LATEST_RUN_PER_VIEW).execute().map(rows -> {
            Map<ViewId, RunRecord> latest = new HashMap<>();
            for (Row row : rows) {
                toRun(row).ifPresent(run -> latest.put(run.view(), run));
            }
            return latest;
        });
    }

    /** The newest runs, optionally of one view, newest first. */
    public Uni<List<RunRecord>> recentRuns(Optional<ViewId> view, int limit) {
        return pool.preparedQuery(RECENT_RUNS).execute(Tuple.of(view.map(ViewId::toString).orElse(null), limit))
                .map(rows -> {
                    List<RunRecord> runs = new ArrayList<>();
                    rows.forEach(row -> toRun(row).ifPresent(runs::add));
                    return runs;
                });
    }

    /** One run by id. */
    public Uni<Optional<RunRecord>> run(long id) {
        return pool.preparedQuery(RUN_BY_ID).execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? Optional.empty() : toRun(rows.iterator().next()));
    }

    /** Deletes runs that finished before {@code before}; answers how many. */
    public Uni<Integer> pruneRunsBefore(Instant before) {
        return pool.preparedQuery(PRUNE).execute(Tuple.of(timestamp(before))).map(rows -> rows.rowCount());
    }

    private static Uni<Void> insertRun(SqlClient client, RunRecord run) {
        Tuple values = Tuple.from(Arrays.asList(
                run.id(),
                run.view().toString(),
                run.trigger().label(),
                run.mode() == null ? null : run.mode().label(),
                run.instance(),
                timestamp(run.queuedAt()),
                timestamp(run.startedAt()),
                timestamp(run.finishedAt()),
                run.outcome().label(),
                run.error(),
                run.skipReason()));
        return client.preparedQuery(INSERT_RUN).execute(values).replaceWithVoid();
    }

    private static Optional<RunRecord> toRun(Row row) {
        return ViewId.parse(row.getString("view")).map(view -> new RunRecord(
                row.getLong("id"),
                view,
                Trigger.valueOf(row.getString("trigger").toUpperCase(java.util.Locale.ROOT)),
                row.getString("mode") == null ? null : AppliedMode.fromLabel(row.getString("mode")),
                row.getString("instance"),
                instant(row, "queued_at"),
                instant(row, "started_at"),
                instant(row, "finished_at"),
                Outcome.fromLabel(row.getString("outcome")),
                row.getString("error"),
                row.getString("skip_reason"),
                row.getLong("keys_invalidated")));
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }
}
