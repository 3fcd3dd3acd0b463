package io.mvrefresh.changes;

import io.mvrefresh.config.DurationText;
import io.mvrefresh.pools.Pools;
import io.mvrefresh.retry.Backoff;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.logging.Log;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The optional push signal: LISTENs on {@code mvrefresh.changes.notify-channel} on a connection of
 * its own and treats a notification naming a table ({@code schema.table}, quoted as in SQL where
 * needed; several separated by commas) as a change of that table at once. PostgreSQL delivers a
 * notification when the writing transaction commits, so a view with a freshness target starts
 * refreshing within milliseconds of the write, where the write counters alone can take seconds.
 * The connection is re-opened with backoff whenever it is lost; changes meanwhile are still seen by
 * the counters.
 */
@ApplicationScoped
public class ChangeListener {

    private static final Backoff RECONNECT = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
    /** How often the listening connection is asked whether it still answers. */
    static final Duration HEARTBEAT = Duration.ofSeconds(10);
    /** How long an answer to that may take before the connection counts as lost. */
    static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(5);

    private final Pools pools;
    private final Dispatcher dispatcher;
    private final Vertx vertx;
    private final Clock clock;
    private volatile String channel;
    private volatile PgConnection connection;
    private volatile boolean stopped;
    private int failures;

    public ChangeListener(Pools pools, Dispatcher dispatcher, Vertx vertx, Clock clock) {
        this.pools = pools;
        this.dispatcher = dispatcher;
        this.vertx = vertx;
        this.clock = clock;
    }

    /** Starts listening on {@code channel}, and keeps listening until {@link #stop()}. */
    public void start(String channel) {
        this.channel = channel;
        connect();
    }

    /** Whether the LISTEN connection is open right now. */
    public boolean listening() {
        return connection != null;
    }

    public void stop() {
        stopped = true;
        PgConnection open = connection;
        connection = null;
        if (open != null) {
            open.closeAndForget();
        }
    }

    private void connect() {
        if (stopped) {
            return;
        }
        pools.openListenSession(vertx)
                .call(conn -> conn.query("LISTEN " + ViewId.quoteIdentifier(channel)).execute()
                        // A connection whose LISTEN failed is closed, not leaked.
                        .onFailure().call(failure -> conn.close().onFailure().recoverWithNull()))
                .subscribe()
                .with(
                        this::listening,
                        failure -> retry("could not LISTEN on " + channel + ": " + failure.getMessage()));
    }

    private void listening(PgConnection conn) {
        if (stopped) {
            conn.closeAndForget();
            return;
        }
        connection = conn;
        if (failures > 0) {
            Log.infof("changes: listening on channel %s again", channel);
        } else {
            Log.infof("changes: listening on channel %s", channel);
        }
        failures = 0;
        conn.notificationHandler(notification -> changed(notification.getPayload()));
        long timer = vertx.setPeriodic(HEARTBEAT.toMillis(), id -> heartbeat(conn));
        conn.closeHandler(() -> {
            vertx.cancelTimer(timer);
            lost(conn, "the connection listening on " + channel + " was closed");
        });
    }

    /**
     * A connection that stops answering (half-open: a failover without RST, a dropped NAT entry)
     * delivers no notification and no error: a query on it every {@link #HEARTBEAT} that gets no
     * answer within {@link #HEARTBEAT_TIMEOUT} closes it, and listening starts again on a new one.
     */
    private void heartbeat(PgConnection conn) {
        if (connection != conn) {
            return;
        }
        conn.query("SELECT 1").execute().ifNoItem().after(HEARTBEAT_TIMEOUT).fail().subscribe().with(answered -> {}, failure -> {
            if (connection == conn) {
                lost(conn, "no answer on the connection listening on " + channel + " within "
                        + DurationText.of(HEARTBEAT_TIMEOUT) + " (half-open)");
                conn.closeAndForget();
            }
        });
    }

    /** The listening connection {@code conn} is gone: listen again on a new one (once, whatever noticed it first). */
    private void lost(PgConnection conn, String why) {
        if (connection == conn) {
            connection = null;
            retry(why);
        }
    }

    private void retry(String why) {
        if (stopped) {
            return;
        }
        connection = null;
        long delay = RECONNECT.delay(++failures).toMillis();
        if (failures == 1) {
            Log.warnf("changes: %s; reconnecting (write counters still see every change, seconds later)", why);
        }
        vertx.setTimer(delay, id -> connect());
    }

    private void changed(String payload) {
        Instant now = clock.instant();
        List<ViewId> tables = new ArrayList<>();
        for (String name : payload.split(",")) {
            Optional<ViewId> table = ViewId.parse(name.trim());
            if (table.isPresent()) {
                tables.add(table.get());
            } else {
                Log.debugf("changes: notification on %s names no table: '%s' (send schema.table)", channel, payload);
            }
        }
        if (!tables.isEmpty()) {
            dispatcher.tablesChanged(tables, now);
        }
    }

}
