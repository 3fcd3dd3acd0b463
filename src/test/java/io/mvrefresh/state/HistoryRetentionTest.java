package io.mvrefresh.state;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(HistoryRetentionTest.Profile.class)
class HistoryRetentionTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of("mvrefresh.discovery.include", "mv_metric_summary", "mvrefresh.defaults.interval", "1d");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("legacy_state_schema", "expired_history");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    RunHistory history;

    @Test
    void shouldPruneExpiredRunsAtStartupInBatchesAndKeepTheRest() {
        // 12,235 runs older than the retention were there before mvrefresh started.
        awaitStartupRefreshes(dispatcher);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE instance = 'old'") == 0);

        assertThat(POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE id = 99")).as("a recent run stays")
                .isEqualTo(1);
    }

    @Test
    void shouldAnswerHowManyRunsAPruneDeleted() {
        awaitStartupRefreshes(dispatcher);
        POSTGRES.execute("""
                INSERT INTO mvrefresh.refresh_run (id, view, trigger, mode, instance, queued_at, started_at, finished_at, outcome)
                SELECT nextval('mvrefresh.refresh_run_id_seq'), 'public.mv_metric_summary', 'schedule', 'blocking', 'old',
                       now() - interval '20 days', now() - interval '20 days', now() - interval '20 days', 'success'
                FROM generate_series(1, 3)
                """);

        int pruned = history.pruneRunsBefore(Instant.now().minus(Duration.ofDays(14))).await().atMost(Duration.ofSeconds(10));

        assertThat(pruned).isEqualTo(3);
    }

    /** Shared buffers a statement touched (hit or read), from its plan as executed. */
    private static long buffersTouched(String sql) {
        String plan = POSTGRES.value("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql).toString();
        long hit = Long.parseLong(plan.replaceAll("(?s).*?\"Shared Hit Blocks\": (\\d+).*", "$1"));
        long read = Long.parseLong(plan.replaceAll("(?s).*?\"Shared Read Blocks\": (\\d+).*", "$1"));
        return hit + read;
    }

    @Test
    void shouldReadEachViewsLastRunAtStartupWithoutReadingTheWholeHistory() {
        awaitStartupRefreshes(dispatcher);
        // Three views share the history, and one view has none: it must not cost a walk of all of it.
        POSTGRES.execute("""
                INSERT INTO mvrefresh.view_state (view, schema_name, view_name)
                SELECT 'history.v' || v, 'history', 'v' || v FROM generate_series(1, 3) v
                UNION ALL SELECT 'history.none', 'history', 'none';
                INSERT INTO mvrefresh.refresh_run (id, view, schema_name, view_name, trigger, mode, instance, queued_at,
                                                   started_at, finished_at, outcome)
                SELECT nextval('mvrefresh.refresh_run_id_seq'), 'history.v' || (g % 3 + 1), 'history', 'v' || (g % 3 + 1),
                       'schedule', 'concurrent', 'large-history', now(), now(), now(), 'success'
                  FROM generate_series(1, 300000) g;
                """);
        // What the other tests pruned is vacuumed away, as autovacuum would: a walk past dead index
        // entries is PostgreSQL's cost, not this query's.
        POSTGRES.execute("VACUUM ANALYZE mvrefresh.refresh_run");
        try {
            long perView = buffersTouched(RunHistory.LATEST_RUN_PER_VIEW);
            // The control: what reading every run to find the last of each costs on this history.
            long wholeHistory = buffersTouched("SELECT DISTINCT ON (view) * FROM mvrefresh.refresh_run ORDER BY view, id DESC");
            assertThat(wholeHistory).as("the history is large enough to matter").isGreaterThan(2000);
            assertThat(perView).as("a few index pages per view, whatever the history's length").isLessThan(200);
            // A view with no run at all (mv_metric_summary's were pruned) costs as little.
            assertThat(buffersTouched(RunHistory.RECENT_RUNS_OF_VIEW.replace("$1::text", "'history.none'").replace("$2", "20")))
                    .isLessThan(20);

            Map<String, Long> lastRuns = new java.util.HashMap<>();
            history.latestRunPerView().await().atMost(Duration.ofSeconds(30))
                    .forEach(run -> lastRuns.put(run.view().toString(), run.id()));
            for (int v = 1; v <= 3; v++) {
                assertThat(lastRuns.get("history.v" + v)).isEqualTo(POSTGRES.value(
                        "SELECT max(id) FROM mvrefresh.refresh_run WHERE view = ?", "history.v" + v));
            }
        } finally {
            POSTGRES.execute("DELETE FROM mvrefresh.refresh_run WHERE instance = 'large-history';"
                    + " DELETE FROM mvrefresh.view_state WHERE schema_name = 'history'");
        }
    }
}
