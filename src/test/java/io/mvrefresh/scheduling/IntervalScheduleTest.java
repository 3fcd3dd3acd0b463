package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Refreshes;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(IntervalScheduleTest.Profile.class)
class IntervalScheduleTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.defaults.enabled", "false",
                    "mvrefresh.views.\"public.mv_metric_summary\".enabled", "true",
                    "mvrefresh.views.\"public.mv_metric_summary\".interval", "1h",
                    // Nothing writes to the base tables here; the schedule alone is under test.
                    "mvrefresh.views.\"public.mv_metric_summary\".skip-unchanged", "false");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());
    private static final ViewId VIEW = new ViewId("public", "mv_metric_summary");

    @Inject
    Dispatcher dispatcher;

    @Inject
    MutableClock clock;

    @Test
    void shouldRefreshAgainAfterItsIntervalAndNotBefore() {
        io.mvrefresh.support.Refreshes.tickAndSettle(dispatcher);
        assertThat(runs()).hasSize(1);
        assertThat(runs().getFirst()).containsEntry("trigger", "startup").containsEntry("outcome", "success");
        Instant lastSuccess = dispatcher.snapshot(VIEW).orElseThrow().state().lastSuccessAt();
        assertThat(dispatcher.snapshot(VIEW).orElseThrow().nextDue()).isEqualTo(lastSuccess.plus(Duration.ofHours(1)));

        clock.advance(Duration.ofMinutes(59));
        Refreshes.loop().tick().await().atMost(Duration.ofSeconds(10));

        assertThat(idle()).as("nothing queued or running 59 minutes after the refresh").isTrue();
        assertThat(runs()).hasSize(1);

        clock.advance(Duration.ofMinutes(1));
        io.mvrefresh.support.Refreshes.tickAndSettle(dispatcher);
        assertThat(runs()).hasSize(2);
        assertThat(runs().getLast()).containsEntry("trigger", "schedule").containsEntry("outcome", "success");
        assertThat(POSTGRES.runsOf("public.mv_brand_daily_metrics")).as("disabled views never run").isEmpty();
    }

    private boolean idle() {
        ViewSnapshot status = dispatcher.snapshot(VIEW).orElseThrow();
        return status.queuedRunId() == null && status.runningRunId() == null;
    }

    private static List<Map<String, Object>> runs() {
        return POSTGRES.runsOf(VIEW.toString());
    }
}
