package io.mvrefresh.refresh;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.catalog.ViewId;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.state.Trigger;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RunIntervals;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(TerminatedRefreshTest.Profile.class)
class TerminatedRefreshTest {

    public static class Profile extends DatabaseProfile {
        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "slow",
                    "mvrefresh.discovery.include", "mv_blocker",
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.defaults.skip-unchanged", "false");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("slow_views");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());
    private static final ViewId VIEW = new ViewId("slow", "mv_blocker");

    @Inject
    Dispatcher dispatcher;

    @Test
    void shouldRecordAKilledRefreshAsFailedAndRetryItAfterBackoff() {
        awaitStartupRefreshes(dispatcher);
        long runId = dispatcher.request(VIEW, Trigger.ADMIN).await().atMost(Duration.ofSeconds(5)).orElseThrow().runId();
        await().atMost(Duration.ofSeconds(5)).until(() -> POSTGRES.count(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'REFRESH MATERIALIZED VIEW%mv_blocker%' AND state = 'active'") == 1);

        POSTGRES.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                + " WHERE query LIKE 'REFRESH MATERIALIZED VIEW%mv_blocker%' AND state = 'active'");

        await().atMost(Duration.ofSeconds(10)).until(() -> POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE id = ?", runId) == 1);
        Map<String, Object> killed = POSTGRES.rows("SELECT * FROM mvrefresh.refresh_run WHERE id = ?", runId).getFirst();
        assertThat(killed.get("outcome")).isEqualTo("failed");
        assertThat((String) killed.get("error")).containsAnyOf("terminating connection due to administrator command", "connection lost");
        assertThat(POSTGRES.count("SELECT consecutive_failures FROM mvrefresh.view_state WHERE view = 'slow.mv_blocker'")).isEqualTo(1);

        await().atMost(Duration.ofSeconds(30)).until(() -> POSTGRES.count(
                "SELECT count(*) FROM mvrefresh.refresh_run WHERE view = 'slow.mv_blocker' AND id > ? AND outcome = 'success'", runId) == 1);
        Map<String, Object> retry = POSTGRES.rows(
                "SELECT * FROM mvrefresh.refresh_run WHERE view = 'slow.mv_blocker' AND id > ? AND outcome = 'success'", runId).getFirst();
        assertThat(retry.get("trigger")).isEqualTo("schedule");
        // The first retry waits 5 s, give or take 20% jitter.
        assertThat(Duration.between(RunIntervals.finished(killed), RunIntervals.started(retry))).isGreaterThanOrEqualTo(Duration.ofSeconds(4));
        assertThat(POSTGRES.count("SELECT consecutive_failures FROM mvrefresh.view_state WHERE view = 'slow.mv_blocker'")).isZero();
    }
}
