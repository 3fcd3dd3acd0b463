package io.mvrefresh.scheduling;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.RunIntervals;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(DependencyOrderTest.Profile.class)
class DependencyOrderTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "slow",
                    "mvrefresh.discovery.include", "mv_upstream,mv_downstream*",
                    // Enough slots for all three: only the dependency rule keeps them apart.
                    "mvrefresh.concurrency", "4",
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.defaults.skip-unchanged", "false",
                    // Readers are more urgent than their source, so priority alone would run them first.
                    "mvrefresh.views.\"slow.mv_downstream\".priority", "critical",
                    "mvrefresh.views.\"slow.mv_downstream_via_view\".priority", "critical");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("slow_views");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());
    private static final ViewId UPSTREAM = new ViewId("slow", "mv_upstream");

    @Inject
    Dispatcher dispatcher;

    private static List<Map<String, Object>> runs(String view) {
        return POSTGRES.rows("SELECT id, trigger, outcome, started_at, finished_at FROM mvrefresh.refresh_run"
                + " WHERE view = ? AND outcome = 'success' ORDER BY started_at", view);
    }

    @Test
    void shouldRefreshSourcesFirstWhenEverythingIsDueAtOnce() {
        // At startup all three were never refreshed (WITH NO DATA) and due together; the readers
        // have the higher priority, yet must wait for their source.
        awaitStartupRefreshes(dispatcher);

        assertThat(POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE outcome <> 'success'"))
                .as("a reader refreshed before its source fails: the source is not populated").isZero();
        Map<String, Object> firstUpstream = runs("slow.mv_upstream").getFirst();
        for (String reader : List.of("slow.mv_downstream", "slow.mv_downstream_via_view")) {
            assertThat(RunIntervals.started(runs(reader).getFirst())).isAfterOrEqualTo(RunIntervals.finished(firstUpstream));
        }
    }

    @Test
    void shouldNeverOverlapAViewWithItsUpstreamAndRefreshReadersAfterTheirSource() {
        awaitStartupRefreshes(dispatcher);
        assertThatNoReaderOverlapsItsSource();
        int downstreamRuns = runs("slow.mv_downstream").size();
        int viaViewRuns = runs("slow.mv_downstream_via_view").size();

        POSTGRES.execute("UPDATE slow.readings SET value = value + 1");
        dispatcher.request(UPSTREAM, Trigger.ADMIN).await().atMost(Duration.ofSeconds(5));

        await().atMost(Duration.ofSeconds(20)).until(() -> runs("slow.mv_downstream").size() > downstreamRuns
                && runs("slow.mv_downstream_via_view").size() > viaViewRuns);
        Map<String, Object> upstream = runs("slow.mv_upstream").getLast();
        Map<String, Object> downstream = runs("slow.mv_downstream").getLast();
        Map<String, Object> viaView = runs("slow.mv_downstream_via_view").getLast();
        assertThat(downstream.get("trigger")).isEqualTo("dependency");
        assertThat(viaView.get("trigger")).isEqualTo("dependency");
        assertThat(RunIntervals.started(downstream)).isAfterOrEqualTo(RunIntervals.finished(upstream));
        assertThat(RunIntervals.started(viaView)).isAfterOrEqualTo(RunIntervals.finished(upstream));
        assertThat(POSTGRES.value("SELECT total FROM slow.mv_downstream")).as("reads the refreshed source")
                .isEqualTo(POSTGRES.value("SELECT sum(value) FROM slow.readings"));
        assertThatNoReaderOverlapsItsSource();
    }

    private static void assertThatNoReaderOverlapsItsSource() {
        for (Map<String, Object> source : runs("slow.mv_upstream")) {
            for (String reader : List.of("slow.mv_downstream", "slow.mv_downstream_via_view")) {
                for (Map<String, Object> read : runs(reader)) {
                    assertThat(RunIntervals.overlap(source, read))
                            .as("%s run %s overlaps upstream run %s", reader, read.get("id"),
                                    source.get("id"))
                            .isFalse();
                }
            }
        }
    }
}
