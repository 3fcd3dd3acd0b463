package io.mvrefresh.pools;

import io.mvrefresh.config.MvRefreshConfig;
import io.quarkus.arc.Arc;
import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.core.Context;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
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
    private final int sessionMaxRuns;
    private final String applicationName;
    private volatile RefreshSessions refreshes;
    private volatile List<PgConnectOptions> configured;

    /**
     * Reads the raw settings: Quarkus builds the pool at startup, possibly before the
     * configuration is found invalid (which then stops the application with its own message).
     */
    public Pools(MvRefreshConfig config) {
        this.concurrency = wholeNumber(config.concurrency(), 1, 1);
        this.sessionMaxRuns = wholeNumber(config.refreshSession().maxRuns(), 0, 0);
        this.applicationName = applicationName(config.instance().trim());
    }

    private static int wholeNumber(String text, int min, int fallback) {
        try {
            return Math.max(min, Integer.parseInt(text.trim()));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** Called by Quarkus to build the default (housekeeping) pool; builds the refresh pool beside it. */
    @Override
    public Pool create(Input input) {
        configured = List.copyOf(input.pgConnectOptionsList());
        refreshes = new RefreshSessions(input.vertx(), sessions(input.pgConnectOptionsList(), applicationName + "/refresh",
                REFRESH_SESSION), concurrency, sessionMaxRuns);
        return PgBuilder.pool()
                .with(input.poolOptions())
                .connectingTo(List
                        .<SqlConnectOptions>copyOf(sessions(input.pgConnectOptionsList(), applicationName, HOUSEKEEPING_SESSION)))
                .using(input.vertx())
                .build();
    }

    /** The sessions only refreshes use: at most {@code mvrefresh.concurrency}. */
    public RefreshSessions refreshes() {
        if (refreshes == null) {
            // The refresh pool is built with the default one, which Quarkus builds on first use.
            Arc.container().instance(io.vertx.mutiny.sqlclient.Pool.class).get().getDelegate().size();
        }
        return refreshes;
    }

    /** Ends the idle refresh sessions with a proper goodbye to the server, after the last refresh drained. */
    @PreDestroy
    void closeRefreshSessions() {
        if (refreshes != null && !Context.isOnEventLoopThread()) {
            refreshes.close().onFailure().recoverWithNull().await().atMost(Duration.ofSeconds(5));
        }
    }

    /** Options for the connection that LISTENs for change notifications (one, outside both pools). */
    public PgConnectOptions listenOptions() {
        refreshes();
        return sessions(configured, applicationName + "/listen", REFRESH_SESSION).getFirst();
    }

    /** Options for the connection that holds this instance's presence lock (one, outside both pools). */
    public PgConnectOptions presenceOptions() {
        refreshes();
        return sessions(configured, applicationName + "/presence", REFRESH_SESSION).getFirst();
    }

    private static List<PgConnectOptions> sessions(List<PgConnectOptions> configured, String name, Map<String, String> settings) {
        return configured.stream().map(options -> {
            PgConnectOptions session = new PgConnectOptions(options);
            // Lets the kernel notice a peer that vanished; mvrefresh's own deadlines do not wait for it.
            session.setTcpKeepAlive(true);
            session.addProperty("application_name", name);
            settings.forEach((key, value) -> {
                // An operator's own value (quarkus.datasource.reactive.additional-properties) wins.
                if (!session.getProperties().containsKey(key)) {
                    session.addProperty(key, value);
                }
            });
            return session;
        }).toList();
    }

    /** PostgreSQL keeps 63 bytes of it. */
    static String applicationName(String instance) {
        String name = "mvrefresh/" + instance;
        return name.length() > 50 ? name.substring(0, 50) : name;
    }
}
