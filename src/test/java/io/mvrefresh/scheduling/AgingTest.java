package io.mvrefresh.scheduling;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.catalog.ViewId;
import io.mvrefresh.state.Trigger;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(AgingTest.Profile.class)
class AgingTest {

    public static class Profile extends DatabaseProfile {
        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "slow",
                    "mvrefresh.discovery.include", "mv_blocker,mv_low,mv_medium",
                    "mvrefresh.concurrency", "1",
                    "mvrefresh.scheduler.aging", "5m",
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.views.\"slow.mv_blocker\".priority", "critical",
                    "mvrefresh.views.\"slow.mv_low\".priority", "low",
                    "mvrefresh.views.\"slow.mv_medium\".priority", "medium");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("slow_views");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());
    private static final ViewId BLOCKER = new ViewId("slow", "mv_blocker");
    private static final ViewId LOW = new ViewId("slow", "mv_low");
    private static final ViewId MEDIUM = new ViewId("slow", "mv_medium");

    @Inject
    Dispatcher dispatcher;

    @Inject
    MutableClock clock;

    /** Occupies the only slot, queues low, lets {@code waited} pass, then queues medium: who runs first? */
    private ViewId firstToRunAfter(Duration waited) {
        long blockerRun = request(BLOCKER);
        await().until(() -> dispatcher.status(BLOCKER).orElseThrow().runningRunId() != null);
        long lowRun = request(LOW);
        assertThat(request(LOW)).as("a request for a queued view joins its run").isEqualTo(lowRun);
        clock.advance(waited);
        long mediumRun = request(MEDIUM);
        assertThat(dispatcher.status(LOW).orElseThrow().status()).isEqualTo("queued");

        await().atMost(Duration.ofSeconds(20)).until(() -> finished(lowRun) && finished(mediumRun) && finished(blockerRun));
        return startedAt(lowRun).isBefore(startedAt(mediumRun)) ? LOW : MEDIUM;
    }

    @Test
    void shouldLetALowViewThatWaitedLongerThanTheAgingPeriodGoBeforeANewMediumOne() {
        awaitStartupRefreshes(dispatcher);

        assertThat(firstToRunAfter(Duration.ofSeconds(1))).as("priority decides between fresh requests").isEqualTo(MEDIUM);
        assertThat(firstToRunAfter(Duration.ofMinutes(11))).as("two aging periods lift low above medium").isEqualTo(LOW);
    }

    private long request(ViewId view) {
        return dispatcher.request(view, Trigger.ADMIN).await().atMost(Duration.ofSeconds(5)).orElseThrow().runId();
    }

    private static boolean finished(long runId) {
        return POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE id = ?", runId) == 1;
    }

    private static OffsetDateTime startedAt(long runId) {
        return (OffsetDateTime) POSTGRES.value("SELECT started_at FROM mvrefresh.refresh_run WHERE id = ?", runId);
    }
}
