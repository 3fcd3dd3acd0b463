package io.mvrefresh.scheduling;

import static io.mvrefresh.support.Refreshes.settle;
import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Gate;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Refreshes;
import io.mvrefresh.support.RunIntervals;
import io.mvrefresh.vocabulary.ViewStatus;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Priority order and the concurrency bound against the real server; the finer rules are in SchedulingPolicyTest. */
@QuarkusTest
@TestProfile(PriorityOrderTest.Profile.class)
class PriorityOrderTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            Map<String, String> settings = new HashMap<>(Map.of(
                    "mvrefresh.discovery.schemas", "gated",
                    "mvrefresh.discovery.include", "mv_high_*,mv_low_*",
                    "mvrefresh.concurrency", "2",
                    "mvrefresh.defaults.interval", "1h",
                    "mvrefresh.defaults.lock-timeout", "5m",
                    "mvrefresh.defaults.priority", "low"));
            for (int i = 1; i <= 3; i++) {
                settings.put("mvrefresh.views.\"gated.mv_high_" + i + "\".priority", "high");
            }
            return settings;
        }

        @Override
        protected List<String> fixtures() {
            return List.of("gated_views");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    private static List<Map<String, Object>> runs(String namePattern) {
        return POSTGRES.rows(
                "SELECT view, started_at, finished_at, outcome FROM mvrefresh.refresh_run WHERE view LIKE ? ORDER BY started_at",
                namePattern);
    }

    @Test
    void shouldStartEveryHighPriorityViewBeforeAnyLowOneAndNeverMoreThanTheConcurrency() {
        try (Gate gate = Gate.close(POSTGRES, "gated.gate")) {
            // All six were never refreshed, so they all fall due on the first tick.
            Refreshes.loop().tick().await().atMost(Duration.ofSeconds(10));
            gate.awaitWaiting(2);

            List<ViewSnapshot> views = dispatcher.snapshots();
            assertThat(views.stream().filter(v -> v.status() == ViewStatus.RUNNING).map(v -> v.settings().view().name()))
                    .containsExactlyInAnyOrder("mv_high_1", "mv_high_2");
            assertThat(views.stream().filter(v -> v.status() == ViewStatus.QUEUED)).hasSize(4);
        }
        settle(dispatcher);

        List<Map<String, Object>> high = runs("gated.mv_high_%");
        List<Map<String, Object>> low = runs("gated.mv_low_%");
        assertThat(high).hasSize(3).allMatch(run -> "success".equals(run.get("outcome")));
        assertThat(low).hasSize(3).allMatch(run -> "success".equals(run.get("outcome")));
        OffsetDateTime lastHighStart = RunIntervals.started(high.getLast());
        OffsetDateTime firstLowStart = RunIntervals.started(low.getFirst());
        assertThat(lastHighStart).isBeforeOrEqualTo(firstLowStart);
        assertThat(RunIntervals.maxConcurrent(runs("gated.%"))).as("refreshes in progress at once").isLessThanOrEqualTo(2);
    }
}
