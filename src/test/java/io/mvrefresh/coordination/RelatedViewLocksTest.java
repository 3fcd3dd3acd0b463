package io.mvrefresh.coordination;

import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Requests;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A reader and its source never refresh at once, even on different replicas: this test plays the
 * other replica by holding the advisory locks a refresh there would hold.
 */
@QuarkusTest
@TestProfile(RelatedViewLocksTest.Profile.class)
class RelatedViewLocksTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "related",
                    "mvrefresh.defaults.interval", "1h",
                    "mvrefresh.defaults.skip-unchanged", "false");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("related_views");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    /** How long a view waiting for a related view's refresh elsewhere waits before it tries again. */
    private static final Duration RELATED_RETRY = Duration.ofSeconds(2);

    @Inject
    Dispatcher dispatcher;

    @Inject
    MutableClock clock;

    @BeforeEach
    void startupRefreshesAreDone() {
        tickAndSettle(dispatcher);
    }

    /** Another replica's refresh in progress: the locks it holds, in a transaction of the test's own. */
    private static Connection otherReplicaHolding(String lockFunction, String view) throws SQLException {
        Connection connection = POSTGRES.connect();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            statement.execute("SELECT " + lockFunction + "(hashtextextended('mvrefresh:' || '" + view + "', 0))");
        }
        return connection;
    }

    @Test
    void shouldRunAForcedReaderAfterAnotherReplicasRefreshOfItsSourceInsteadOfDroppingIt() throws SQLException {
        shouldWaitForTheRelatedViewThenRun("related.mv_reader", "pg_advisory_xact_lock", "related.mv_source");
    }

    @Test
    void shouldRunAForcedSourceAfterAnotherReplicasRefreshOfAReaderOfIt() throws SQLException {
        // A reader's refresh holds its sources' keys shared.
        shouldWaitForTheRelatedViewThenRun("related.mv_source", "pg_advisory_xact_lock_shared", "related.mv_source");
    }

    @Test
    void shouldSkipAViewAnotherReplicaIsRefreshingItself() throws SQLException {
        try (Connection other = otherReplicaHolding("pg_advisory_xact_lock", "related.mv_reader")) {
            forceRefresh("related.mv_reader").statusCode(200)
                    .body("outcome", equalTo("skipped")).body("skipReason", equalTo("locked_elsewhere"));
            other.rollback();
        }
    }

    private void shouldWaitForTheRelatedViewThenRun(String view, String lockFunction, String lockedView) throws SQLException {
        ViewId id = ViewId.parse(view).orElseThrow();
        long runId;
        try (Connection other = otherReplicaHolding(lockFunction, lockedView)) {
            runId = Requests.accepted(dispatcher, id, Trigger.ADMIN).runId();
            await().atMost(Duration.ofSeconds(20)).until(() -> "waiting-for-source".equals(dispatcher.snapshot(id).orElseThrow()
                    .why().reason()));
            // Tried again while the other replica still refreshes: still waiting, nothing recorded.
            clock.advance(RELATED_RETRY);
            tickAndSettle(dispatcher);
            assertThat(dispatcher.snapshot(id).orElseThrow().why().reason()).isEqualTo("waiting-for-source");
            assertThat(POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE id = ?", runId)).isZero();
            other.rollback();
        }
        clock.advance(RELATED_RETRY);
        tickAndSettle(dispatcher);
        assertThat(POSTGRES.count("SELECT count(*) FROM mvrefresh.refresh_run WHERE id = ? AND outcome = 'success'", runId))
                .isEqualTo(1);
    }

    @Test
    void shouldLetTwoReadersOfOneSourceRefreshOnDifferentReplicasAtOnce() throws SQLException {
        try (Connection other = otherReplicaHolding("pg_advisory_xact_lock_shared", "related.mv_source")) {
            forceRefresh("related.mv_reader").statusCode(200).body("outcome", equalTo("success"));
            other.rollback();
        }
    }
}
