package io.mvrefresh.scheduling;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.IsolatedDatabase;
import io.mvrefresh.support.Management;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Refreshes;
import io.mvrefresh.support.RunIntervals;
import io.mvrefresh.support.TcpProxy;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(DatabaseOutageTest.Profile.class)
class DatabaseOutageTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.include", "mv_metric_summary,mv_brand_daily_metrics",
                    "mvrefresh.defaults.interval", "1s",
                    "mvrefresh.defaults.skip-unchanged", "false");
        }

        @Override
        protected boolean viaProxy() {
            return true;
        }

        /** The dispatcher's own loop is what is under test here. */
        @Override
        protected boolean timers() {
            return true;
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    MutableClock clock;

    private static boolean startedAfter(Map<String, Object> run, Instant instant) {
        return RunIntervals.started(run).toInstant().isAfter(instant);
    }

    private static List<Map<String, Object>> runs() {
        return POSTGRES.rows("SELECT id, view, outcome, started_at, finished_at FROM mvrefresh.refresh_run ORDER BY id");
    }

    @Test
    void shouldPauseWhilePostgresIsUnreachableStayLiveAndResumeOnItsOwn() throws Exception {
        awaitStartupRefreshes(dispatcher);
        TcpProxy proxy = IsolatedDatabase.proxy();

        proxy.cut();
        Instant cutAt = clock.instant();
        await().atMost(Duration.ofSeconds(10)).until(() -> !dispatcher.databaseReachable());
        clock.advance(Duration.ofSeconds(2));
        long recordedBeforeRestore = runs().size();
        // Views overdue all the while must not turn into a busy loop against the missing database:
        // while it is away no wake-up is armed, so only the poll ticks (one attempt per poll).
        List<Optional<Instant>> wakeUps = new CopyOnWriteArrayList<>();
        dispatcher.onWakeUpChange(wakeUps::add);
        assertThat(wakeUps).as("a view is overdue: the wake-up would be due at once").singleElement()
                .satisfies(at -> assertThat(at).isPresent());
        long ticks = Refreshes.loop().ticksCompleted();
        await().atMost(Duration.ofSeconds(10)).until(() -> Refreshes.loop().ticksCompleted() >= ticks + 3);
        assertThat(wakeUps).as("wake-ups announced while PostgreSQL is unreachable").hasSize(1);
        dispatcher.onWakeUpChange(at -> {});
        given().when().get(Management.url("/q/health/live")).then().statusCode(200).body("status", equalTo("UP"));
        // Readiness reports what the background probe (every 5 s) last measured: the outage shows
        // there within one probe, while readiness itself stays UP.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().when().get(Management.url("/q/health/ready")).then()
                .statusCode(200).body("checks.find { it.name == 'mvrefresh-ready' }.data.postgresql", equalTo("unreachable")));
        assertThat(dispatcher.inFlight()).as("nothing starts while PostgreSQL is away").isZero();

        Instant restoredAt = clock.instant();
        proxy.restore();
        await().atMost(Duration.ofSeconds(10)).until(() -> runs().stream()
                .anyMatch(run -> "success".equals(run.get("outcome")) && startedAfter(run, restoredAt)));

        List<Map<String, Object>> runs = runs();
        assertThat(runs.size()).isGreaterThan((int) recordedBeforeRestore);
        assertThat(runs).filteredOn(run -> "success".equals(run.get("outcome")))
                .as("no refresh succeeded while PostgreSQL was unreachable")
                .noneMatch(run -> startedAfter(run, cutAt) && RunIntervals.finished(run).toInstant().isBefore(restoredAt));
        for (String view : List.of("public.mv_metric_summary", "public.mv_brand_daily_metrics")) {
            List<Map<String, Object>> ofView = runs.stream().filter(run -> view.equals(run.get("view"))).toList();
            for (int i = 1; i < ofView.size(); i++) {
                assertThat(RunIntervals.overlap(ofView.get(i - 1), ofView.get(i))).as("runs of %s overlap", view).isFalse();
            }
        }
    }
}
