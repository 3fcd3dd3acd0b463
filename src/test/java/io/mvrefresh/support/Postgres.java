package io.mvrefresh.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.postgresql.Driver;

/**
 * Plain JDBC access to the local PostgreSQL for test fixtures and assertions: blocking is fine
 * here, and it keeps the tests' view of the database independent of the code under test.
 */
public final class Postgres {

    public static final String HOST = System.getenv().getOrDefault("PGHOST", "127.0.0.1");
    public static final String PORT = System.getenv().getOrDefault("PGPORT", "5432");
    public static final String USER = System.getenv().getOrDefault("PGUSER", "postgres");
    public static final String PASSWORD = System.getenv().getOrDefault("PGPASSWORD", "postgres");

    private final String host;
    private final String port;
    private final String database;

    public Postgres(String database) {
        this(HOST, PORT, database);
    }

    /** A database on another server than the shared one (one the test started itself). */
    public Postgres(String host, String port, String database) {
        this.host = host;
        this.port = port;
        this.database = database;
    }

    /** The database's name. */
    public String name() {
        return database;
    }

    /** The reactive client URL for this database, as Quarkus expects it. */
    public String reactiveUrl() {
        return "postgresql://" + host + ":" + port + "/" + database;
    }

    public Connection connect() throws SQLException {
        // The driver directly: DriverManager only sees drivers of the class loader that first asked,
        // and every restarted test application brings its own.
        Properties credentials = new Properties();
        credentials.setProperty("user", USER);
        credentials.setProperty("password", PASSWORD);
        // Scripts go to the server whole: the driver's own statement splitting breaks BEGIN ATOMIC bodies.
        credentials.setProperty("preferQueryMode", "simple");
        return new Driver().connect("jdbc:postgresql://" + host + ":" + port + "/" + database, credentials);
    }

    /** Runs one or more statements. */
    public void execute(String sql) {
        try (Connection conn = connect(); Statement statement = conn.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed on " + database + ": " + e.getMessage() + "\n" + sql, e);
        }
    }

    /** The first column of every row. */
    public List<Object> column(String sql, Object... params) {
        try (Connection conn = connect(); PreparedStatement statement = conn.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                statement.setObject(i + 1, params[i]);
            }
            List<Object> values = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    values.add(valueAt(rows, 1));
                }
            }
            return values;
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed on " + database + ": " + e.getMessage() + "\n" + sql, e);
        }
    }

    /** Every row as column name to value, in the query's order. */
    public List<Map<String, Object>> rows(String sql, Object... params) {
        try (Connection conn = connect(); PreparedStatement statement = conn.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                statement.setObject(i + 1, params[i]);
            }
            List<Map<String, Object>> result = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                int columns = rows.getMetaData().getColumnCount();
                while (rows.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int c = 1; c <= columns; c++) {
                        row.put(rows.getMetaData().getColumnLabel(c), valueAt(rows, c));
                    }
                    result.add(row);
                }
            }
            return result;
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed on " + database + ": " + e.getMessage() + "\n" + sql, e);
        }
    }

    /**
     * Adds a fact for every brand metric, observed now: the demo's daily aggregate and every view
     * reading it change, so their next refresh changes rows (one that changes none invalidates
     * nothing and makes no reader due).
     */
    public void addFactsNow() {
        execute("INSERT INTO metric_facts (metric_id, observed_at, value) SELECT metric_id, now(), 1000 FROM brand_metrics");
    }

    /** The runs of one view recorded in mvrefresh.refresh_run, oldest first. */
    public List<Map<String, Object>> runsOf(String view) {
        return rows("SELECT id, trigger, mode, outcome, error, skip_reason, keys_invalidated, started_at, finished_at"
                + " FROM mvrefresh.refresh_run WHERE view = ? ORDER BY id", view);
    }

    /** The single value a query returns. */
    public Object value(String sql, Object... params) {
        List<Object> values = column(sql, params);
        if (values.size() != 1) {
            throw new IllegalStateException("expected one row, got " + values.size() + ": " + sql);
        }
        return values.getFirst();
    }

    public long count(String sql, Object... params) {
        return ((Number) value(sql, params)).longValue();
    }

    /** Timestamps as OffsetDateTime, which compares exactly, rather than java.sql.Timestamp. */
    private static Object valueAt(ResultSet rows, int column) throws SQLException {
        Object value = rows.getObject(column);
        return value instanceof java.sql.Timestamp ? rows.getObject(column, java.time.OffsetDateTime.class) : value;
    }

    /** Drops and creates {@code name} on the maintenance database. */
    public static void recreateDatabase(String name) {
        Postgres maintenance = new Postgres("postgres");
        maintenance.execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
        maintenance.execute("CREATE DATABASE \"" + name + "\"");
    }

    public static void dropDatabase(String name) {
        new Postgres("postgres").execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
    }
}
