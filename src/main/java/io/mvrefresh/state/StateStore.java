package io.mvrefresh.state;

import io.mvrefresh.vocabulary.Outcome;
import io.mvrefresh.vocabulary.SkipReason;
import io.mvrefresh.vocabulary.ViewId;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Reads and writes {@code mvrefresh.view_state}. Every write of a row answers with the row as
 * PostgreSQL left it ({@code RETURNING}), so the stored state has one owner and the dispatcher
 * never recomputes it. Runs are written with the state they change, in one transaction (see
 * {@link RunHistory}).
 */
@ApplicationScoped
public class StateStore {

    private static final String STATE_COLUMNS = """
            view, schema_name, view_name, last_success_at, last_verified_at, last_attempt_at, consecutive_failures, paused, revision,
            skips_unchanged, skips_locked_elsewhere, skips_paused, last_skip_at, last_skip_reason, last_success_started_at,
            cascade_owed_at
            """;

    private static final String NEXT_REVISION = "nextval('mvrefresh.view_state_revision_seq')";

    /**
     * The SET clause every update of a row the dispatcher reads carries: its order, and the
     * transaction that wrote it (an inserted row gets the latter from the column's default).
     */
    private static final String REVISED = "revision = " + NEXT_REVISION + ", written_xid = pg_current_xact_id()";

    /*
     * GREATEST keeps the newest timestamp when two replicas or a late write race each other. When
     * the view has invalidation rules ($6), the invalidation it now owes is recorded with the
     * refresh itself ($7: the instance that will carry it out), so it survives a restart; the mark
     * names the last refresh to commit, whose invalidation covers every earlier one.
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
                   invalidation_owed_run = CASE WHEN $6 THEN EXCLUDED.invalidation_owed_run ELSE s.invalidation_owed_run END,
                   invalidation_owed_since = CASE WHEN $6 THEN EXCLUDED.invalidation_owed_since ELSE s.invalidation_owed_since END,
                   invalidation_owed_by = CASE WHEN $6 THEN EXCLUDED.invalidation_owed_by ELSE s.invalidation_owed_by END,
                   %3$s
            RETURNING %2$s
            """
            .formatted(NEXT_REVISION, STATE_COLUMNS, REVISED);

    /*
     * The readers of a refreshed view owe a refresh from its commit on: marked in the same
     * transaction, so a shutdown or crash between the commit and the cascade loses nothing, and
     * any replica (or the restarted one) finds the mark at its next read of view_state.
     */
    private static final String MARK_CASCADE = """
            INSERT INTO mvrefresh.view_state AS s (view, schema_name, view_name, cascade_owed_at, revision)
            SELECT r.view, r.schema_name, r.view_name, $1::timestamptz, %1$s
              FROM unnest($2::text[], $3::text[], $4::text[]) AS r (view, schema_name, view_name)
            ON CONFLICT (view) DO UPDATE
               SET cascade_owed_at = GREATEST(s.cascade_owed_at, EXCLUDED.cascade_owed_at), %2$s
            """.formatted(NEXT_REVISION, REVISED);

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
            """
            .formatted(NEXT_REVISION, STATE_COLUMNS, REVISED);

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
                   consecutive_failures = CASE WHEN s.last_success_at IS NULL OR EXCLUDED.last_attempt_at >= s.last_success_at
                                               THEN s.consecutive_failures + 1 ELSE s.consecutive_failures END,
                   %3$s
            RETURNING %2$s
            """.formatted(NEXT_REVISION, STATE_COLUMNS, REVISED);

    private static final String SET_PAUSED = """
            INSERT INTO mvrefresh.view_state AS s (view, schema_name, view_name, paused, revision) VALUES ($1, $2, $3, $4, %1$s)
            ON CONFLICT (view) DO UPDATE SET paused = EXCLUDED.paused, %3$s
            RETURNING %2$s
            """.formatted(NEXT_REVISION, STATE_COLUMNS, REVISED);

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

    /**
     * Records a successful run on {@code transaction}, the refresh's own transaction, so the
     * stored last success and fingerprint commit exactly when the refreshed contents do. Answers
     * the view's row as the transaction leaves it.
     *
     * @param fingerprint the base tables' state taken just before the REFRESH, or null when the
     *     view's changes cannot be detected
     */
    public Uni<ViewState> recordSuccess(SqlClient transaction, RunRecord run, String fingerprint, boolean owesInvalidation,
            Collection<ViewId> readers) {
        ViewId view = run.view();
        Tuple values = Tuple.from(Arrays.asList(view.toString(), view.schema(), view.name(), Rows.timestamp(run.finishedAt()),
                fingerprint, owesInvalidation, run.instance(), run.id(), Rows.timestamp(run.startedAt())));
        List<ViewId> sorted = readers.stream().sorted().toList();
        Uni<?> cascade = sorted.isEmpty()
                ? Uni.createFrom().voidItem()
                : transaction.preparedQuery(MARK_CASCADE).execute(Tuple.of(Rows.timestamp(run.finishedAt()),
                        sorted.stream().map(ViewId::toString).toArray(String[]::new),
                        sorted.stream().map(ViewId::schema).toArray(String[]::new),
                        sorted.stream().map(ViewId::name).toArray(String[]::new)));
        // Sent together: the connection pipelines them into one round trip.
        return Uni.combine().all()
                .unis(RunHistory.insertRun(transaction, run), transaction.preparedQuery(RECORD_SUCCESS).execute(values), cascade)
                .with((inserted, rows, marked) -> Rows.onlyState(rows).orElseThrow());
    }

    /** What a refresh transaction needs to know about the view's last refresh, read on {@code transaction}. */
    public Uni<StoredFreshness> storedFreshness(SqlClient transaction, ViewId view) {
        return transaction.preparedQuery(STORED_FRESHNESS).execute(Tuple.of(view.toString())).map(rows -> {
            if (rows.size() == 0) {
                return StoredFreshness.NEVER;
            }
            Row row = rows.iterator().next();
            return new StoredFreshness(row.getString("fingerprint"), Rows.instant(row, "last_success_at"),
                    Rows.instant(row, "last_verified_at"), row.getBoolean("paused"));
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
                        .execute(Tuple.of(view.toString(), Rows.timestamp(verifiedAsOf), Rows.timestamp(run.finishedAt())))
                        .map(Rows::onlyState);
            }
            return pool.preparedQuery(RECORD_SKIP).execute(
                    Tuple.of(view.toString(), view.schema(), view.name(), Rows.timestamp(run.finishedAt()),
                            run.skipReason().label()))
                    .map(Rows::onlyState);
        }
        return pool.withTransaction(conn -> RunHistory.insertRun(conn, run)
                .flatMap(ignored -> conn.preparedQuery(RECORD_FAILURE)
                        .execute(Tuple.of(view.toString(), view.schema(), view.name(), Rows.timestamp(run.finishedAt()))))
                .map(Rows::onlyState));
    }

    /** Pauses or resumes a view for every replica, across restarts; answers the row it left. */
    public Uni<ViewState> setPaused(ViewId view, boolean paused) {
        return pool.preparedQuery(SET_PAUSED).execute(Tuple.of(view.toString(), view.schema(), view.name(), paused))
                .map(rows -> Rows.onlyState(rows).orElseThrow());
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
                    Rows.toState(row).ifPresent(states::add);
                }
            }
            return new StateChanges(states, horizon);
        });
    }

    private final Pool pool;

    public StateStore(Pool pool) {
        this.pool = pool;
    }

}
