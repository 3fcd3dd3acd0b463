package io.mvrefresh.catalog;

import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.mvrefresh.support.Refreshes.settle;
import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Gate;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Requests;
import io.mvrefresh.support.TestRun;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A catalog scan while a long plain refresh holds its view's ACCESS EXCLUSIVE lock: the scan reads
 * pg_catalog only, so it neither waits on the refresh nor makes DDL wait behind it.
 */
@QuarkusTest
@TestProfile(RescanUnderLockTest.Profile.class)
class RescanUnderLockTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "public,gated",
                    "mvrefresh.discovery.include", "mv_one,mv_metric_summary,mv_readings_today",
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.defaults.lock-timeout", "5m",
                    "mvrefresh.defaults.skip-unchanged", "false");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("gated_views", "change_detection");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    Catalog catalog;

    private static long mvrefreshSessionsWaiting() {
        return POSTGRES.count("SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                + " WHERE NOT l.granted AND a.datname = current_database() AND a.application_name LIKE 'mvrefresh/%'");
    }

    @Test
    void shouldRescanBesideALongPlainRefreshWithoutWaitingOrBlockingDdl() throws Exception {
        tickAndSettle(dispatcher);
        try (Gate gate = Gate.close(POSTGRES, "gated.gate")) {
            // A plain refresh: ACCESS EXCLUSIVE on gated.mv_one, then waiting for gated.gate.
            Requests.accepted(dispatcher, new ViewId("gated", "mv_one"), Trigger.ADMIN);
            gate.awaitWaiting(1);

            CatalogSnapshot snapshot = null;
            for (int i = 0; i < 5; i++) {
                snapshot = catalog.rescan().await().atMost(Duration.ofSeconds(10));
                assertThat(snapshot.views()).containsKey(new ViewId("gated", "mv_one"));
            }
            assertThat(snapshot.find(new ViewId("public", "mv_readings_today")).orElseThrow().changeDetectionBlockers())
                    .as("time keywords found in the stored query tree, without pg_get_viewdef")
                    .containsExactly("uses CURRENT_DATE, whose value changes with time");
            assertThat(mvrefreshSessionsWaiting()).as("only the refresh held at the gate waits").isEqualTo(1);

            try (Connection ddl = POSTGRES.connect(); Statement statement = ddl.createStatement()) {
                statement.execute("SET lock_timeout = '2s'");
                statement.execute("ALTER TABLE metric_facts ADD COLUMN note text");
            }
            forceRefresh("public.mv_metric_summary").statusCode(200).body("outcome", equalTo("success"));
        }
        settle(dispatcher);
        assertThat(POSTGRES.column("SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname = current_database()"
                + " AND application_name LIKE 'mvrefresh/%' ORDER BY 1"))
                .as("sessions a DBA can tell apart")
                .contains("mvrefresh/test-" + TestRun.ID, "mvrefresh/test-" + TestRun.ID + "/refresh");
    }
}
