package io.mvrefresh.scheduling;

import static io.mvrefresh.support.Refreshes.settle;
import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.catalog.Catalog;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rules that keep views fresh, against the real server, with skip-unchanged on as by default. */
@QuarkusTest
@TestProfile(FreshnessTest.Profile.class)
class FreshnessTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "fresh",
                    "mvrefresh.discovery.include", "mv_brand_*,mv_recreated",
                    // Equal intervals for a source and its reader: the most common set-up.
                    "mvrefresh.defaults.interval", "1h",
                    "mvrefresh.views.\"fresh.mv_brand_disabled\".enabled", "false",
                    "mvrefresh.views.\"fresh.mv_recreated\".interval", "1d");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("freshness");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    Catalog catalog;

    @Inject
    MutableClock clock;

    @BeforeEach
    void startupRefreshesAreDone() {
        tickAndSettle(dispatcher);
    }

    private static Map<String, Object> lastRun(String view) {
        return POSTGRES.runsOf(view).getLast();
    }

    @Test
    void shouldRefreshAReaderQueuedForItsOwnScheduleAfterItsSourceWasRefreshed() {
        long writes = writesTo("fresh.brand_facts");
        POSTGRES.execute("INSERT INTO fresh.brand_facts (brand, day, value) VALUES ('initech', DATE '2026-01-05', 500)");
        await().atMost(Duration.ofSeconds(15)).until(() -> writesTo("fresh.brand_facts") > writes);

        // Both fall due on the same tick; the reader waits, queued, for its source.
        clock.advance(Duration.ofHours(1).plusSeconds(1));
        tickAndSettle(dispatcher);

        assertThat(lastRun("fresh.mv_brand_daily")).containsEntry("outcome", "success");
        assertThat(lastRun("fresh.mv_brand_weekly"))
                .as("the cascade joined the scheduled run: it refreshes, never skips on counters not flushed yet")
                .containsEntry("trigger", "dependency").containsEntry("outcome", "success");
        assertThat(POSTGRES.count("SELECT count(*) FROM fresh.mv_brand_weekly WHERE brand = 'initech'")).isEqualTo(1);
    }

    @Test
    void shouldNeverRefreshADisabledReaderOnACascade() {
        Object filenode = POSTGRES.value("SELECT pg_relation_filenode('fresh.mv_brand_disabled'::regclass)");

        for (int i = 0; i < 3; i++) {
            // A write each time: a refresh that changed no row makes no reader due.
            POSTGRES.execute("INSERT INTO fresh.brand_facts (brand, day, value) VALUES ('cascade', DATE '2026-01-01', 1)");
            io.mvrefresh.support.Refreshes.forceRefresh("fresh.mv_brand_daily").statusCode(200);
            settle(dispatcher);
        }

        assertThat(POSTGRES.runsOf("fresh.mv_brand_disabled")).isEmpty();
        assertThat(POSTGRES.value("SELECT pg_relation_filenode('fresh.mv_brand_disabled'::regclass)")).isEqualTo(filenode);
        assertThat(POSTGRES.runsOf("fresh.mv_brand_weekly").stream().filter(run -> "dependency".equals(run.get("trigger"))))
                .as("the enabled reader is refreshed each time").hasSizeGreaterThanOrEqualTo(3);
    }

    @Test
    void shouldRefreshAViewRecreatedWithNoDataAtOnceWhateverItsInterval() {
        assertThat(lastRun("fresh.mv_recreated")).containsEntry("outcome", "success");
        POSTGRES.execute(
                """
                        DROP MATERIALIZED VIEW fresh.mv_recreated;
                        CREATE MATERIALIZED VIEW fresh.mv_recreated AS SELECT brand, count(*) AS days FROM fresh.brand_facts GROUP BY brand
                        WITH NO DATA;
                        """);
        catalog.rescan().invoke(dispatcher::applyCatalog).await().atMost(Duration.ofSeconds(10));

        assertThat(dispatcher.snapshot(new ViewId("fresh", "mv_recreated")).orElseThrow().nextDue())
                .isBeforeOrEqualTo(clock.instant());
        tickAndSettle(dispatcher);

        assertThat(POSTGRES.value("SELECT relispopulated FROM pg_class WHERE oid = 'fresh.mv_recreated'::regclass"))
                .isEqualTo(true);
        assertThat(POSTGRES.count("SELECT count(*) FROM fresh.mv_recreated")).isEqualTo(2);
    }

    private static long writesTo(String table) {
        return POSTGRES.count(
                "SELECT coalesce(n_tup_ins + n_tup_upd + n_tup_del, 0) FROM pg_stat_all_tables WHERE relid = ?::regclass",
                table);
    }
}
