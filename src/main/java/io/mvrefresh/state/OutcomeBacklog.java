package io.mvrefresh.state;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Outcomes of runs that could not be written because PostgreSQL did not answer (a run cut off by
 * losing it, say): they wait here, oldest first, and are written when it answers again, so a run
 * id an operator was given always ends up in {@code refresh_run} and a failure still counts
 * towards the view's backoff. Bounded: past {@link #CAPACITY} the oldest is dropped, and logged.
 */
@ApplicationScoped
public class OutcomeBacklog {

    static final int CAPACITY = 10_000;

    /** A run and what a skip because nothing changed vouches for. */
    private record Pending(RunRecord run, Instant verifiedAsOf) {
    }

    private final StateStore store;
    private final Deque<Pending> pending = new ArrayDeque<>();
    private boolean writing;

    public OutcomeBacklog(StateStore store) {
        this.store = store;
    }

    /** Keeps {@code run} until it can be written. */
    public synchronized void add(RunRecord run, Instant verifiedAsOf) {
        if (pending.size() >= CAPACITY) {
            Pending dropped = pending.pollFirst();
            Log.errorf("outcome backlog full (%d): the %s outcome of refresh #%d of %s is dropped unrecorded", CAPACITY,
                    dropped.run().outcome().label(), dropped.run().id(), dropped.run().view());
        }
        pending.addLast(new Pending(run, verifiedAsOf));
        Log.warnf("refresh #%d %s: its %s outcome is kept until PostgreSQL answers again (%d waiting)", run.id(),
                run.view(), run.outcome().label(), pending.size());
    }

    /** Outcomes waiting to be written. */
    public synchronized int size() {
        return pending.size();
    }

    /**
     * Writes the waiting outcomes, oldest first, one at a time; stops at the first failure and
     * keeps the rest for the next call. Answers how many were written.
     */
    public Uni<Integer> flush() {
        Pending next;
        synchronized (this) {
            if (writing || pending.isEmpty()) {
                return Uni.createFrom().item(0);
            }
            writing = true;
            next = pending.peekFirst();
        }
        return writeFrom(next, 0).eventually(() -> {
            synchronized (this) {
                writing = false;
            }
        });
    }

    private Uni<Integer> writeFrom(Pending next, int written) {
        return store.recordUnsuccessful(next.run(), next.verifiedAsOf())
                .onFailure(RunHistory::isDuplicateRun).recoverWithNull()
                .flatMap(ignored -> {
                    Pending following;
                    synchronized (this) {
                        pending.remove(next);
                        following = pending.peekFirst();
                    }
                    if (following == null) {
                        Log.infof("outcome backlog: %d outcome(s) written now that PostgreSQL answers", written + 1);
                        return Uni.createFrom().item(written + 1);
                    }
                    return writeFrom(following, written + 1);
                });
    }
}
