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
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Reads and writes {@code mvrefresh.refresh_run}: run ids, the history of runs that did something,
 * and its pruning.
 */
@ApplicationScoped
public class RunHistory {

    private static final String ALLOCATE_RUN_IDS = "SELECT nextval('mvrefresh.refresh_run_id_seq') AS id FROM generate_series(1, $1)";

    private static final String INSERT_RUN = """
            INSERT INTO mvrefresh.refresh_run
                (id, view, schema_name, view_name, trigger, mode, instance, queued_at, started_at, finished_at, outcome, error, skip_reason,
                 rows_changed)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            """;

    private static final String RUN_COLUMNS = """
            id, view, schema_name, view_name, trigger, mode, instance, queued_at, started_at, finished_at, outcome, error,
            skip_reason, keys_invalidated, rows_changed
            """;

    /*
     * One index probe per view (refresh_run_view_id_idx) instead of a DISTINCT ON over the whole
     * history, which on a long history outlasts the statement timeout. The view is matched as a
     * range of one, not with "=": with "=" the planner drops the view from the ORDER BY and walks
     * the primary key backwards filtering on the view, which for a view with few or no runs reads
     * the whole history.
     */
    private static final String ONE_VIEW_NEWEST_FIRST = "view >= %1$s AND view <= %1$s%2$s ORDER BY view, id DESC";

    static final String LATEST_RUN_PER_VIEW = "SELECT r.* FROM mvrefresh.view_state s CROSS JOIN LATERAL (SELECT "
            + RUN_COLUMNS + " FROM mvrefresh.refresh_run WHERE "
            + ONE_VIEW_NEWEST_FIRST.formatted("s.view", " AND outcome <> 'skipped'") + " LIMIT 1) r";

    private static final String RECENT_RUNS = "SELECT " + RUN_COLUMNS
            + " FROM mvrefresh.refresh_run ORDER BY id DESC LIMIT $1";

    static final String RECENT_RUNS_OF_VIEW = "SELECT " + RUN_COLUMNS + " FROM mvrefresh.refresh_run WHERE "
            + ONE_VIEW_NEWEST_FIRST.formatted("$1::text", "") + " LIMIT $2";

    private static final String RUN_BY_ID = "SELECT " + RUN_COLUMNS + " FROM mvrefresh.refresh_run WHERE id = $1";

    private static final String PRUNE_BATCH = """
            DELETE FROM mvrefresh.refresh_run
             WHERE id IN (SELECT id FROM mvrefresh.refresh_run WHERE finished_at < $1 ORDER BY finished_at LIMIT $2)
            """;

    /** Rows one prune statement deletes at most: short statements, short locks, small WAL bursts. */
    static final int PRUNE_BATCH_SIZE = 5_000;

    private static final String UNIQUE_VIOLATION = "23505";

    /** Reserves {@code count} run ids, so a run has its id from the moment it is queued. */
    public Uni<List<Long>> allocateRunIds(int count) {
        return pool.preparedQuery(ALLOCATE_RUN_IDS).execute(Tuple.of(count)).map(rows -> {
            List<Long> ids = new ArrayList<>(count);
            rows.forEach(row -> ids.add(row.getLong("id")));
            return ids;
        });
    }

    /** Whether writing a run failed because its row exists already (an earlier attempt did commit). */
    public static boolean isDuplicateRun(Throwable failure) {
        return failure instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState());
    }

    /** The newest run of each view that was not a skip, to show the last outcome after a restart. */
    public Uni<List<RunRecord>> latestRunPerView() {
        return pool.query(LATEST_RUN_PER_VIEW).execute().map(RunHistory::toRuns);
    }

    /** The newest runs, optionally of one view, newest first. */
    public Uni<List<RunRecord>> recentRuns(Optional<ViewId> view, int limit) {
        Uni<RowSet<Row>> rows = view.isPresent()
                ? pool.preparedQuery(RECENT_RUNS_OF_VIEW).execute(Tuple.of(view.get().toString(), limit))
                : pool.preparedQuery(RECENT_RUNS).execute(Tuple.of(limit));
        return rows.map(RunHistory::toRuns);
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
        return pool.preparedQuery(PRUNE_BATCH).execute(Tuple.of(Rows.timestamp(before), PRUNE_BATCH_SIZE))
                .flatMap(rows -> rows.rowCount() < PRUNE_BATCH_SIZE
                        ? Uni.createFrom().item(pruned + rows.rowCount())
                        : pruneFrom(before, pruned + rows.rowCount()));
    }

    static Uni<Void> insertRun(SqlClient client, RunRecord run) {
        Tuple values = Tuple.from(Arrays.asList(run.id(), run.view().toString(), run.view().schema(), run.view().name(),
                run.trigger().label(), run.mode() == null ? null : run.mode().label(), run.instance(),
                Rows.timestamp(run.queuedAt()),
                Rows.timestamp(run.startedAt()), Rows.timestamp(run.finishedAt()), run.outcome().label(), run.error(),
                run.skipReason() == null ? null : run.skipReason().label(), run.rowsChanged()));
        return client.preparedQuery(INSERT_RUN).execute(values).replaceWithVoid();
    }

    private static List<RunRecord> toRuns(RowSet<Row> rows) {
        List<RunRecord> runs = new ArrayList<>(rows.size());
        for (Row row : rows) {
            Rows.viewOf(row).ifPresent(
                    view -> runs.add(new RunRecord(row.getLong("id"), view, Trigger.fromLabel(row.getString("trigger")),
                            row.getString("mode") == null ? null : AppliedMode.fromLabel(row.getString("mode")),
                            row.getString("instance"), Rows.instant(row, "queued_at"), Rows.instant(row, "started_at"),
                            Rows.instant(row, "finished_at"), Outcome.fromLabel(row.getString("outcome")), row.getString("error"),
                            row.getString("skip_reason") == null ? null : SkipReason.fromLabel(row.getString("skip_reason")),
                            row.getLong("keys_invalidated"), row.getLong("rows_changed"))));
        }
        return runs;
    }

    private final Pool pool;

    public RunHistory(Pool pool) {
        this.pool = pool;
    }

}
