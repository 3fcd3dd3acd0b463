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
}
