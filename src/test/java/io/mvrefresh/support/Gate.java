package io.mvrefresh.support;

import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * Holds a table locked (ACCESS EXCLUSIVE) in a transaction of the test's own, so every refresh of
 * a view reading it waits for as long as the test wants: the way to keep a refresh running
 * without racing a {@code pg_sleep}. Closing it lets them all go.
 */
public final class Gate implements AutoCloseable {

    private final Postgres postgres;
    private final String table;
    private final Connection connection;

    private Gate(Postgres postgres, String table) throws SQLException {
        this.postgres = postgres;
        this.table = table;
        this.connection = postgres.connect();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            statement.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
        }
    }

    /** Locks {@code table} until {@link #close()}. */
    public static Gate close(Postgres postgres, String table) {
        try {
            return new Gate(postgres, table);
        } catch (SQLException e) {
            throw new IllegalStateException("could not lock " + table + ": " + e.getMessage(), e);
        }
    }

    /** Sessions waiting for a lock on the table right now. */
    public long waiting() {
        return postgres.count("SELECT count(*) FROM pg_locks WHERE relation = ?::regclass AND NOT granted"
                + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", table);
    }

    /** Waits until exactly {@code sessions} sessions wait for the table. */
    public void awaitWaiting(long sessions) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> waiting() == sessions);
    }

    /** Releases the lock: everything waiting for it goes ahead. */
    @Override
    public void close() {
        try (connection) {
            connection.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("could not release " + table + ": " + e.getMessage(), e);
        }
    }
}
