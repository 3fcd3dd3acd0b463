package io.mvrefresh.changes;

import io.mvrefresh.pools.Pools;
import io.mvrefresh.retry.Backoff;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.logging.Log;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.pgclient.PgConnectOptions;
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
        PgConnectOptions options = pools.listenOptions();
        PgConnection.connect(vertx, options)
                .call(conn -> conn.query("LISTEN " + ViewId.quoteIdentifier(channel)).execute())
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
        conn.closeHandler(() -> {
            connection = null;
            retry("the connection listening on " + channel + " was closed");
        });
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
