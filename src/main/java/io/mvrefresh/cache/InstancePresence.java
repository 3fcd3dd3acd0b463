package io.mvrefresh.cache;

import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.coordination.AdvisoryLocks;
import io.mvrefresh.pools.Pools;
import io.mvrefresh.retry.Backoff;
import io.quarkus.logging.Log;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * This instance's presence lock: a session-level advisory lock on its own name, held on a
 * connection of its own for as long as the process runs. What it owes is taken over by another
 * replica as soon as the lock can be taken (it died, or was replaced by a pod with a new name),
 * not a minute later. A lost connection loses the lock; it is taken again on a new one.
 */
@ApplicationScoped
public class InstancePresence {

    private static final String TAKE = "SELECT pg_try_advisory_lock(" + AdvisoryLocks.instanceKey("$1") + ") AS held";
    private static final Backoff RECONNECT = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));

    private final Pools pools;
    private final Vertx vertx;
    private final String instance;
    private volatile PgConnection connection;
    private volatile boolean stopped;
    private int failures;

    public InstancePresence(Pools pools, Vertx vertx, GlobalSettings config) {
        this.pools = pools;
        this.vertx = vertx;
        this.instance = config.instance();
    }

    /** Takes the lock (again, after a failure, until it is held). */
    public void start() {
        if (stopped) {
            return;
        }
        pools.openPresenceSession(vertx)
                .call(conn -> conn.preparedQuery(TAKE).execute(Tuple.of(instance)).invoke(rows -> {
                    if (!rows.iterator().next().getBoolean("held")) {
                        throw new IllegalStateException("another process runs as instance " + instance
                                + " (set mvrefresh.instance to a name of this process's own)");
                    }
                }).onFailure().call(failure -> conn.close().onFailure().recoverWithNull()))
                .subscribe().with(this::held, failure -> retry(failure.getMessage()));
    }

    private void held(PgConnection conn) {
        if (stopped) {
            conn.closeAndForget();
            return;
        }
        connection = conn;
        failures = 0;
        conn.closeHandler(() -> {
            if (connection == conn) {
                connection = null;
                retry("its connection was closed");
            }
        });
    }

    private void retry(String why) {
        if (stopped) {
            return;
        }
        long delay = RECONNECT.delay(++failures).toMillis();
        if (failures == 1) {
            Log.warnf("presence: instance %s does not hold its presence lock (%s); trying again. Until it does, another"
                    + " replica may take over its owed cache invalidations (done twice, which is harmless)", instance, why);
        }
        vertx.setTimer(delay, id -> start());
    }

    /** Gives the lock up: what this instance still owes is taken over by a live replica at once. */
    public void stop() {
        stopped = true;
        PgConnection open = connection;
        connection = null;
        if (open != null) {
            open.closeAndForget();
        }
    }
}
