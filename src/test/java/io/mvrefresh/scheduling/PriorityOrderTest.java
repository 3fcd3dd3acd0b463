package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RunIntervals;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(PriorityOrderTest.Profile.class)
class PriorityOrderTest {

    public static class Profile extends DatabaseProfile {
        @Override
        protected Map<String, String> settings() {
            Map<String, String> settings = new HashMap<>(Map.of(
                    "mvrefresh.discovery.schemas", "slow",
                    "mvrefresh.discovery.include", "mv_high_*,mv_low_*",
                    "mvrefresh.concurrency", "2",
                    "mvrefresh.defaults.interval", "1h",
                    "mvrefresh.defaults.priority", "low"));
            for (int i = 1; i <= 6; i++) {
                settings.put("mvrefresh.views.\"slow.mv_high_" + i + "\".priority", "high");
            }
            return settings;
        }

        @Override
        protected List<String> fixtures() {
            return List.of("slow_views");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    private static List<Map<String, Object>> runs(String namePattern) {
        return POSTGRES.rows("SELECT view, started_at, finished_at, outcome FROM mvrefresh.refresh_run WHERE view LIKE ? ORDER BY started_at",
                namePattern);
    }

    @Test
    void shouldStartEveryHighPriorityViewBeforeAnyLowOneAndRespectConcurrency() {
        // All twelve were never refreshed, so they all fall due on the first tick.
        await().atMost(Duration.ofSeconds(30)).until(() -> runs("slow.%").stream().filter(r -> "success".equals(r.get("outcome"))).count() == 12);

        List<Map<String, Object>> high = runs("slow.mv_high_%");
        List<Map<String, Object>> low = runs("slow.mv_low_%");
        assertThat(high).hasSize(6);
        assertThat(low).hasSize(6);
        OffsetDateTime lastHighStart = RunIntervals.started(high.getLast());
        OffsetDateTime firstLowStart = RunIntervals.started(low.getFirst());
        assertThat(lastHighStart).isBefore(firstLowStart);

        List<Map<String, Object>> all = runs("slow.%");
        assertThat(RunIntervals.maxConcurrent(all)).as("refreshes in progress at once").isEqualTo(2);
    }
}
