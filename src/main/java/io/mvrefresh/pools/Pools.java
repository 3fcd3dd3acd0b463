package io.mvrefresh.pools;

import io.mvrefresh.config.MvRefreshConfig;
import io.quarkus.arc.Arc;
import io.quarkus.logging.Log;
import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

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
 *
 * <p>Those session settings are applied with {@code set_config} right after connecting, not sent
 * as startup parameters: a pooler in between (PgBouncer) refuses startup parameters it does not
 * track, or drops them when told to ignore them.
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
    /** What a session outside the housekeeping pool runs first: refresh, listen and presence sessions. */
    private volatile String ownSessionSetup;

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
        ownSessionSetup = setup(configured, REFRESH_SESSION);
        refreshes = new RefreshSessions(input.vertx(), sessions(configured, applicationName + "/refresh"), ownSessionSetup,
                concurrency, sessionMaxRuns);
        String housekeeping = setup(configured, HOUSEKEEPING_SESSION);
        return PgBuilder.pool()
                .with(input.poolOptions())
                .connectingTo(List.<SqlConnectOptions>copyOf(sessions(configured, applicationName)))
                // Each new connection gets its settings before the pool hands it out.
                .withConnectHandler(conn -> {
                    if (housekeeping == null) {
                        conn.close();
                        return;
                    }
                    conn.query(housekeeping).execute().onComplete(set -> {
                        if (set.failed()) {
                            Log.warnf("could not set the session's timeouts (%s): %s", housekeeping, set.cause().getMessage());
                        }
                        conn.close();
                    });
                })
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

    /** Opens the connection that LISTENs for change notifications (one, outside both pools). */
    public Uni<PgConnection> openListenSession(io.vertx.mutiny.core.Vertx vertx) {
        return openDedicated(vertx, "/listen");
    }

    /** Opens the connection that holds this instance's presence lock (one, outside both pools). */
    public Uni<PgConnection> openPresenceSession(io.vertx.mutiny.core.Vertx vertx) {
        return openDedicated(vertx, "/presence");
    }

    private Uni<PgConnection> openDedicated(io.vertx.mutiny.core.Vertx vertx, String suffix) {
        refreshes();
        String setup = ownSessionSetup;
        return PgConnection.connect(vertx, sessions(configured, applicationName + suffix).getFirst())
                .call(conn -> setup == null
                        ? Uni.createFrom().voidItem()
                        : conn.query(setup).execute().replaceWithVoid()
                                .onFailure().call(failure -> conn.close().onFailure().recoverWithNull()));
    }

    private static List<PgConnectOptions> sessions(List<PgConnectOptions> configured, String name) {
        return configured.stream().map(options -> {
            PgConnectOptions session = new PgConnectOptions(options);
            // Lets the kernel notice a peer that vanished; mvrefresh's own deadlines do not wait for it.
            session.setTcpKeepAlive(true);
            session.addProperty("application_name", name);
            return session;
        }).toList();
    }

    /**
     * The statement that gives a new session {@code settings}, or null when there is none to give.
     * An operator's own value ({@code quarkus.datasource.reactive.additional-properties}) wins: it
     * goes as a startup parameter, and the setting is left out here. The values are constants.
     */
    static String setup(List<PgConnectOptions> configured, Map<String, String> settings) {
        Map<String, String> own = configured.isEmpty() ? Map.of() : configured.getFirst().getProperties();
        String calls = settings.entrySet().stream()
                .filter(setting -> !own.containsKey(setting.getKey()))
                .sorted(Map.Entry.comparingByKey())
                .map(setting -> "set_config('" + setting.getKey() + "', '" + setting.getValue() + "', false)")
                .collect(Collectors.joining(", "));
        return calls.isEmpty() ? null : "SELECT " + calls;
    }

    /** PostgreSQL keeps 63 bytes of it. */
    static String applicationName(String instance) {
        String name = "mvrefresh/" + instance;
        return name.length() > 50 ? name.substring(0, 50) : name;
    }
}
