package io.mvrefresh.scheduling;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cascade from a source to its readers is written with the source's refresh, so what a
 * shutdown, a crash or a replaced pod left owed is done by whichever instance reads it next.
 */
@QuarkusTest
@TestProfile(DurableCascadeTest.Profile.class)
class DurableCascadeTest {

    private static final String SOURCE = "public.mv_brand_daily_metrics";
    private static final String READER = "public.mv_brand_rankings";

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.include", "mv_brand_daily_metrics,mv_brand_rankings",
                    "mvrefresh.defaults.interval", "1d");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    MutableClock clock;

    @BeforeEach
    void startupRefreshesAreDone() {
        awaitStartupRefreshes(dispatcher);
    }

    private static List<Map<String, Object>> runsOf(String view) {
        return POSTGRES.rows("SELECT id, trigger, outcome FROM mvrefresh.refresh_run WHERE view = ? ORDER BY id", view);
    }

    @Test
    void shouldMarkTheReadersInTheSourcesRefreshTransaction() {
        POSTGRES.addFactsNow();
        forceRefresh(SOURCE).statusCode(200).body("outcome", equalTo("success"));

        Object finished = POSTGRES.value("SELECT max(finished_at) FROM mvrefresh.refresh_run WHERE view = ?", SOURCE);
        assertThat(POSTGRES.value("SELECT cascade_owed_at FROM mvrefresh.view_state WHERE view = ?", READER))
                .isEqualTo(finished);
        tickAndSettle(dispatcher);
        // The clock stands still, so the cascade's run may start at the very instant the mark was made.
        assertThat(POSTGRES.value("SELECT cascade_owed_at <= last_success_started_at FROM mvrefresh.view_state WHERE view = ?",
                READER)).as("caught up by a refresh that started no earlier").isEqualTo(true);
    }

    @Test
    void shouldRefreshAReaderWhoseCascadeAnotherInstanceLeftOwed() {
        int before = runsOf(READER).size();
        // What a source refresh committed by an instance that then stopped or died leaves behind,
        // stamped by the same clock as the application's runs.
        clock.advance(Duration.ofSeconds(1));
        POSTGRES.execute("UPDATE mvrefresh.view_state SET cascade_owed_at = '" + clock.instant() + "',"
                + " revision = nextval('mvrefresh.view_state_revision_seq'), written_xid = pg_current_xact_id()"
                + " WHERE view = '" + READER + "'");

        clock.advance(Duration.ofSeconds(1));
        tickAndSettle(dispatcher);

        List<Map<String, Object>> runs = runsOf(READER);
        assertThat(runs).hasSize(before + 1);
        assertThat(runs.getLast()).containsEntry("trigger", "dependency").containsEntry("outcome", "success");
        tickAndSettle(dispatcher);
        assertThat(runsOf(READER)).as("once caught up, owed no more").hasSize(before + 1);
    }
}
