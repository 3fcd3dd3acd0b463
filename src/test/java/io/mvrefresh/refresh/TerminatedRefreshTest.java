package io.mvrefresh.refresh;

import static io.mvrefresh.support.Refreshes.settle;
import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.scheduling.ViewSnapshot;
import io.mvrefresh.support.Gate;
import io.mvrefresh.support.GatedViewProfile;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Refreshes;
import io.mvrefresh.support.Requests;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.mvrefresh.vocabulary.ViewStatus;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(GatedViewProfile.class)
class TerminatedRefreshTest {

    private static final Postgres POSTGRES = new Postgres(new GatedViewProfile().database());
    private static final ViewId VIEW = new ViewId("gated", "mv_one");

    @Inject
    Dispatcher dispatcher;

    @Inject
    MutableClock clock;

    @Test
    void shouldRecordAKilledRefreshAsFailedAndRetryItAfterBackoff() {
        tickAndSettle(dispatcher);
        long runId;
        try (Gate gate = Gate.close(POSTGRES, "gated.gate")) {
            runId = Requests.accepted(dispatcher, VIEW, Trigger.ADMIN).runId();
            gate.awaitWaiting(1);

            POSTGRES.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                            + " AND query LIKE 'REFRESH MATERIALIZED VIEW%mv_one%'");

            await().atMost(Duration.ofSeconds(10))
                    .until(() -> POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE id = ?", runId) == 1);
        }
        Map<String, Object> killed = POSTGRES.rows("SELECT * FROM mvrefresh.refresh_run WHERE id = ?", runId).getFirst();
        assertThat(killed.get("outcome")).isEqualTo("failed");
        assertThat((String) killed.get("error")).containsAnyOf("terminating connection due to administrator command",
                "connection lost");
        assertThat(POSTGRES.count("SELECT consecutive_failures FROM mvrefresh.view_state WHERE view = 'gated.mv_one'"))
                .isEqualTo(1);
        settle(dispatcher);

        // The first retry waits 5 s, give or take 20% jitter; a tick before that starts nothing.
        ViewSnapshot failing = dispatcher.snapshot(VIEW).orElseThrow();
        assertThat(failing.status()).isEqualTo(ViewStatus.FAILING);
        Instant failedAt = failing.state().lastAttemptAt();
        assertThat(Duration.between(failedAt, failing.nextDue())).isBetween(Duration.ofSeconds(4), Duration.ofSeconds(6));
        Refreshes.loop().tick().await().atMost(Duration.ofSeconds(10));
        assertThat(dispatcher.snapshot(VIEW).orElseThrow().status()).isEqualTo(ViewStatus.FAILING);

        clock.advance(Duration.ofSeconds(7));
        tickAndSettle(dispatcher);

        Map<String, Object> retry = POSTGRES.rows(
                "SELECT * FROM mvrefresh.refresh_run WHERE view = 'gated.mv_one' AND id > ? ORDER BY id", runId).getFirst();
        assertThat(retry.get("outcome")).isEqualTo("success");
        assertThat(retry.get("trigger")).isEqualTo("schedule");
        assertThat(POSTGRES.count("SELECT consecutive_failures FROM mvrefresh.view_state WHERE view = 'gated.mv_one'")).isZero();
        assertThat(dispatcher.snapshot(VIEW).orElseThrow().status()).isEqualTo(ViewStatus.IDLE);
    }
}
