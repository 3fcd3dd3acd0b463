package io.mvrefresh.state;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.scheduling.ViewSnapshot;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Refreshes;
import io.mvrefresh.vocabulary.AppliedMode;
import io.mvrefresh.vocabulary.Outcome;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher reads only the view_state rows written since its previous read, yet sees every
 * write another replica commits: also one from a transaction that started before the previous
 * read and committed after it, behind later writes that were already read.
 */
@QuarkusTest
@TestProfile(IncrementalStateReadTest.Profile.class)
class IncrementalStateReadTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of("mvrefresh.defaults.interval", "1h");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());
    private static final ViewId LATE = new ViewId("public", "mv_brand_daily_metrics");
    private static final ViewId EARLY = new ViewId("public", "mv_metric_summary");

    @Inject
    Dispatcher dispatcher;

    @Inject
    StateStore store;

    @Inject
    RunHistory history;

    @Inject
    Pool pool;

    @Inject
    MutableClock clock;

    private ViewSnapshot snapshot(ViewId view) {
        return dispatcher.snapshot(view).orElseThrow();
    }

    private void tick() {
        Refreshes.loop().tick().await().atMost(Duration.ofSeconds(20));
    }

    @Test
    void shouldSeeAWriteCommittedAfterAReadThatAlreadySawLaterOnes() {
        awaitStartupRefreshes(dispatcher);
        Instant later = clock.instant().plus(Duration.ofMinutes(30)).truncatedTo(ChronoUnit.MILLIS);
        long runId = history.allocateRunIds(1).await().atMost(Duration.ofSeconds(10)).getFirst();
        RunRecord run = new RunRecord(runId, LATE, Trigger.SCHEDULE, AppliedMode.CONCURRENT, "other-replica",
                later.minusSeconds(1), later.minusSeconds(1), later, Outcome.SUCCESS, null, null, null, null);

        SqlConnection other = pool.getConnection().await().atMost(Duration.ofSeconds(10));
        try {
            Transaction transaction = other.begin().await().atMost(Duration.ofSeconds(10));
            // Another replica's refresh records its success, and has not committed yet...
            store.recordSuccess(other, run, null, false, Set.of()).await().atMost(Duration.ofSeconds(10));
            // ...while a later write to another view commits, and is read.
            store.setPaused(EARLY, true).await().atMost(Duration.ofSeconds(10));
            tick();
            assertThat(snapshot(EARLY).state().paused()).isTrue();
            assertThat(snapshot(LATE).state().lastSuccessAt()).isBefore(later);

            transaction.commit().await().atMost(Duration.ofSeconds(10));
        } finally {
            other.closeAndAwait();
        }
        tick();
        assertThat(snapshot(LATE).state().lastSuccessAt()).as("the late commit is read").isEqualTo(later);

        StateChanges all = store.viewStatesWrittenSince(0).await().atMost(Duration.ofSeconds(10));
        assertThat(all.states()).as("a first read has every row")
                .hasSize((int) POSTGRES.count("SELECT count(*) FROM mvrefresh.view_state"));
        store.setPaused(EARLY, false).await().atMost(Duration.ofSeconds(10));
        StateChanges since = store.viewStatesWrittenSince(all.horizon()).await().atMost(Duration.ofSeconds(10));
        assertThat(since.states()).extracting(ViewState::view).contains(EARLY);
        assertThat(Long.compareUnsigned(since.horizon(), all.horizon())).isGreaterThanOrEqualTo(0);
    }
}
