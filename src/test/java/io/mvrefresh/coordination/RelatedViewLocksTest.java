package io.mvrefresh.coordination;

import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static org.hamcrest.Matchers.equalTo;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
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

    @Inject
    Dispatcher dispatcher;

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
    void shouldNotRefreshAReaderWhileAnotherReplicaRefreshesItsSource() throws SQLException {
        try (Connection other = otherReplicaHolding("pg_advisory_xact_lock", "related.mv_source")) {
            forceRefresh("related.mv_reader").statusCode(200)
                    .body("outcome", equalTo("skipped")).body("skipReason", equalTo("locked_elsewhere"));
            other.rollback();
        }
        forceRefresh("related.mv_reader").statusCode(200).body("outcome", equalTo("success"));
    }

    @Test
    void shouldNotRefreshASourceWhileAnotherReplicaRefreshesAReaderOfIt() throws SQLException {
        // A reader's refresh holds its sources' keys shared.
        try (Connection other = otherReplicaHolding("pg_advisory_xact_lock_shared", "related.mv_source")) {
            forceRefresh("related.mv_source").statusCode(200)
                    .body("outcome", equalTo("skipped")).body("skipReason", equalTo("locked_elsewhere"));
            other.rollback();
        }
        forceRefresh("related.mv_source").statusCode(200).body("outcome", equalTo("success"));
    }

    @Test
    void shouldLetTwoReadersOfOneSourceRefreshOnDifferentReplicasAtOnce() throws SQLException {
        try (Connection other = otherReplicaHolding("pg_advisory_xact_lock_shared", "related.mv_source")) {
            forceRefresh("related.mv_reader").statusCode(200).body("outcome", equalTo("success"));
            other.rollback();
        }
    }
}
