package io.mvrefresh.pools;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.pgclient.PgConnectOptions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The PostgreSQL sessions refreshes run on: at most {@code capacity} open, each closed and replaced
 * after {@code maxRuns} runs.
 *
 * <p>Replacing them is what keeps refreshing cheap. Every {@code REFRESH ... CONCURRENTLY} builds
 * temporary tables with a new row type, and a PostgreSQL backend keeps a type-cache entry for each
 * row type it ever used until it exits: a session that refreshes forever grows by some 10 KB per
 * concurrent refresh (hundreds of MB a day at one refresh a second) and, because every catalog
 * invalidation walks that cache, each refresh takes longer than the one before (measured in
 * docs/benchmarks.md, "Refresh sessions"). A new backend starts empty.
 *
 * <p>A hand-written holder rather than the reactive client's pool: that pool can retire a
 * connection by age but not by use, and age is the wrong measure for a cost that grows per refresh.
 */
public final class RefreshSessions {

    private final Vertx vertx;
    private final List<PgConnectOptions> servers;
    private final String setup;
    private final int capacity;
    private final int maxRuns;
    private final Deque<Session> idle = new ArrayDeque<>();
    private final Deque<CompletableFuture<Session>> waiting = new ArrayDeque<>();
    private int open;
    private int nextServer;
    private boolean closed;

    /**
     * @param servers where to connect, tried in turn for each new session (as the pool would)
     * @param setup a statement every new session runs first (its session settings), or null
     * @param maxRuns runs per session before it is replaced; 0 keeps a session until its connection is lost
     */
    public RefreshSessions(Vertx vertx, List<PgConnectOptions> servers, String setup, int capacity, int maxRuns) {
        this.vertx = vertx;
        this.setup = setup;
        this.servers = List.copyOf(servers);
        this.capacity = capacity;
        this.maxRuns = maxRuns;
    }

    /**
     * Runs {@code work} on a session of its own, waiting for one when all are in use. Afterwards
     * the session serves the next run, or is closed when its connection was lost or it has served
     * {@code maxRuns} runs; either way before the returned Uni completes, so a caller that starts
     * its next run then finds the session free. {@code work} ends its own transaction, also when
     * it fails.
     */
    public <T> Uni<T> withSession(Function<SqlConnection, Uni<T>> work) {
        return Uni.createFrom().deferred(() -> {
            CompletableFuture<Session> pending = acquire();
            AtomicBoolean claimed = new AtomicBoolean();
            return Uni.createFrom().completionStage(pending)
                    .onCancellation().invoke(() -> {
                        // Given up before the session came: if it came all the same, the next run gets it.
                        if (!pending.cancel(false) && !pending.isCompletedExceptionally() && claimed.compareAndSet(false, true)) {
                            handOver(pending.join()).subscribe().with(done -> {}, failure -> {});
                        }
                    })
                    .flatMap(session -> {
                        if (!claimed.compareAndSet(false, true)) {
                            return Uni.createFrom().<T>nothing();
                        }
                        return Uni.createFrom().deferred(() -> work.apply(session.connection))
                                .onItemOrFailure().call(() -> release(session))
                                // Abandoned mid-run: the connection may still be in the middle of a
                                // statement. The server is asked to cancel it (a close would queue
                                // behind it), then the session is closed, which rolls back its
                                // transaction, rather than passed on.
                                .onCancellation().call(() -> {
                                    session.lost = true;
                                    return session.connection.cancelRequest().onFailure().recoverWithNull()
                                            .chain(() -> release(session));
                                });
                    });
        });
    }

    /** Sessions open right now, idle or running a refresh. */
    public synchronized int open() {
        return open;
    }

    /** Idle sessions whose connection is still up. */
    synchronized int idle() {
        return (int) idle.stream().filter(session -> !session.lost).count();
    }

    /** Closes the idle sessions; sessions in use close when their run ends. */
    public Uni<Void> close() {
        List<Session> closing;
        List<CompletableFuture<Session>> refused;
        synchronized (this) {
            closed = true;
            closing = List.copyOf(idle);
            idle.clear();
            open -= closing.size();
            refused = List.copyOf(waiting);
            waiting.clear();
        }
        refused.forEach(waiter -> waiter.completeExceptionally(stopping()));
        if (closing.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Uni.join().all(closing.stream().map(session -> quietlyClose(session.connection)).toList()).andCollectFailures()
                .replaceWithVoid();
    }

    /** A session for one run: an idle one, a new one while fewer than capacity are open, else the next one released. */
    private CompletableFuture<Session> acquire() {
        CompletableFuture<Session> pending = new CompletableFuture<>();
        Session reused;
        synchronized (this) {
            if (closed) {
                pending.completeExceptionally(stopping());
                return pending;
            }
            reused = idle.pollFirst();
            // A session the server closed while it was idle (a restart, an operator's
            // pg_terminate_backend) is dropped here instead of failing the next refresh.
            while (reused != null && reused.lost) {
                open--;
                reused = idle.pollFirst();
            }
            if (reused == null && open >= capacity) {
                waiting.addLast(pending);
                return pending;
            }
            if (reused == null) {
                open++;
            }
        }
        if (reused != null) {
            pending.complete(reused);
        } else {
            connectFor(pending);
        }
        return pending;
    }

    /** Opens a session for {@code pending}; a failed attempt gives its place back, to a waiting run if there is one. */
    private void connectFor(CompletableFuture<Session> pending) {
        PgConnectOptions server;
        synchronized (this) {
            server = servers.get(Math.floorMod(nextServer++, servers.size()));
        }
        io.vertx.pgclient.PgConnection.connect(vertx, server).compose(conn -> setup == null
                ? io.vertx.core.Future.succeededFuture(conn)
                : conn.query(setup).execute().<io.vertx.pgclient.PgConnection>map(set -> conn)
                        .recover(failure -> conn.close().transform(closed -> io.vertx.core.Future.failedFuture(failure))))
                .onComplete(connected -> {
                    if (connected.failed()) {
                        pending.completeExceptionally(connected.cause());
                        sessionGone();
                        return;
                    }
                    Session session = new Session(PgConnection.newInstance(connected.result()));
                    connected.result().closeHandler(closed -> session.lost = true);
                    // The server ending the session (FATAL 57P01 and the like) surfaces here; the session
                    // is dropped and nothing more needs saying.
                    connected.result().exceptionHandler(failure -> session.lost = true);
                    if (!pending.complete(session)) {
                        handOver(session).subscribe().with(done -> {}, failure -> {});
                    }
                });
    }

    private Uni<Void> release(Session session) {
        session.runs++;
        if (session.lost || (maxRuns > 0 && session.runs >= maxRuns)) {
            if (!session.lost) {
                Log.debugf("replacing refresh session (backend %d) after %d runs", session.connection.processId(), session.runs);
            }
            return quietlyClose(session.connection).invoke(this::sessionGone);
        }
        return handOver(session);
    }

    /** A healthy session goes to the first run still waiting, else back to the idle ones (closed when stopping). */
    private Uni<Void> handOver(Session session) {
        while (true) {
            CompletableFuture<Session> next = null;
            boolean stopping;
            synchronized (this) {
                stopping = closed;
                if (stopping) {
                    open--;
                } else {
                    next = waiting.pollFirst();
                    if (next == null) {
                        idle.addFirst(session);
                    }
                }
            }
            if (stopping) {
                return quietlyClose(session.connection);
            }
            // complete() is false only for a run that gave up waiting: try the next one.
            if (next == null || next.complete(session)) {
                return Uni.createFrom().voidItem();
            }
        }
    }

    /** A session closed or never opened: its place goes to the first waiting run, with a new session. */
    private void sessionGone() {
        CompletableFuture<Session> next;
        synchronized (this) {
            next = closed ? null : waiting.pollFirst();
            if (next == null) {
                open--;
            }
        }
        if (next != null) {
            connectFor(next);
        }
    }

    private static IllegalStateException stopping() {
        return new IllegalStateException("mvrefresh is stopping: no new refresh sessions");
    }

    private static Uni<Void> quietlyClose(SqlConnection connection) {
        return connection.close().onFailure().recoverWithNull();
    }

    /** One backend and how many runs it served. */
    private static final class Session {

        final PgConnection connection;
        volatile boolean lost;
        int runs;

        Session(PgConnection connection) {
            this.connection = connection;
        }
    }
}
