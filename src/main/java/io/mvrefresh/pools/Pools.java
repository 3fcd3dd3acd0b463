package io.mvrefresh.pools;

import io.mvrefresh.config.MvRefreshConfig;
import io.quarkus.arc.Arc;
import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Map;

/**
 * mvrefresh's two connection pools, built from the datasource Quarkus configures (URL,
 * credentials, TLS): one of exactly {@code mvrefresh.concurrency} connections that only refreshes
 * use, and the small default pool ({@code quarkus.datasource.reactive.max-size}) for everything
 * else (ticks, catalog scans, recording, the admin API). Housekeeping therefore never takes a
 * connection a refresh needs, and one replica holds at most {@code concurrency + max-size}.
 *
 * <p>Every session names itself ({@code application_name = mvrefresh/<instance>}, with
 * {@code /refresh} for refresh sessions) so a DBA can see and cancel them, and housekeeping
 * sessions start with a statement and a lock timeout, so no statement of theirs waits without
 * bound. Refreshes set their own timeouts per transaction.
 */
@Singleton
public class Pools implements PgPoolCreator {

    /** What a housekeeping statement may take unless it says otherwise (SET LOCAL). */
    static final Map<String, String> HOUSEKEEPING_SESSION = Map.of(
            "statement_timeout", "30s",
            "lock_timeout", "5s",
            "idle_in_transaction_session_timeout", "60s");

    /** Refresh transactions set statement and lock timeouts themselves; an abandoned transaction still ends. */
    static final Map<String, String> REFRESH_SESSION = Map.of(
            "idle_in_transaction_session_timeout", "60s");

    private final int concurrency;
    private final String applicationName;
    private volatile io.vertx.mutiny.sqlclient.Pool refreshes;
    private volatile List<PgConnectOptions> configured;

    /**
     * Reads the raw settings: Quarkus builds the pool at startup, possibly before the
     * configuration is found invalid (which then stops the application with its own message).
     */
    public Pools(MvRefreshConfig config) {
        this.concurrency = concurrency(config.concurrency());
        this.applicationName = applicationName(config.instance().trim());
    }

    private static int concurrency(String text) {
        try {
            return Math.max(1, Integer.parseInt(text.trim()));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** Called by Quarkus to build the default (housekeeping) pool; builds the refresh pool beside it. */
    @Override
    public Pool create(Input input) {
        configured = List.copyOf(input.pgConnectOptionsList());
        PoolOptions refreshOptions = new PoolOptions(input.poolOptions()).setMaxSize(Math.max(1, concurrency)).setShared(false)
                .setName("mvrefresh-refreshes");
        refreshes = io.vertx.mutiny.sqlclient.Pool.newInstance(PgBuilder.pool()
                .with(refreshOptions)
                .connectingTo(sessions(input.pgConnectOptionsList(), applicationName + "/refresh", REFRESH_SESSION))
                .using(input.vertx())
                .build());
        return PgBuilder.pool()
                .with(input.poolOptions())
                .connectingTo(sessions(input.pgConnectOptionsList(), applicationName, HOUSEKEEPING_SESSION))
                .using(input.vertx())
                .build();
    }

    /** The pool only refreshes use: {@code mvrefresh.concurrency} connections. */
    public io.vertx.mutiny.sqlclient.Pool refreshes() {
        if (refreshes == null) {
            // The refresh pool is built with the default one, which Quarkus builds on first use.
            Arc.container().instance(io.vertx.mutiny.sqlclient.Pool.class).get().getDelegate().size();
        }
        return refreshes;
    }

    /** Options for the connection that LISTENs for change notifications (one, outside both pools). */
    public PgConnectOptions listenOptions() {
        refreshes();
        PgConnectOptions options = (PgConnectOptions) sessions(configured, applicationName + "/listen", REFRESH_SESSION).getFirst();
        return options;
    }

    private static List<SqlConnectOptions> sessions(List<PgConnectOptions> configured, String name, Map<String, String> settings) {
        return configured.stream().map(options -> {
            PgConnectOptions session = new PgConnectOptions(options);
            session.addProperty("application_name", name);
            settings.forEach((key, value) -> {
                // An operator's own value (quarkus.datasource.reactive.additional-properties) wins.
                if (!session.getProperties().containsKey(key)) {
                    session.addProperty(key, value);
                }
            });
            return (SqlConnectOptions) session;
        }).toList();
    }

    /** PostgreSQL keeps 63 bytes of it. */
    static String applicationName(String instance) {
        String name = "mvrefresh/" + instance;
        return name.length() > 50 ? name.substring(0, 50) : name;
    }
}
