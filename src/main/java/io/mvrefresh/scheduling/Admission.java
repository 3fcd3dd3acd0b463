package io.mvrefresh.scheduling;

import java.time.Instant;
import java.util.Locale;

/**
 * What became of a request to refresh a view, decided in one place for every kind of request
 * (operator, cascade, schedule): the HTTP layer only maps it to a status code.
 */
public sealed interface Admission {

    /**
     * The request will be served by {@code ticket}: a new run, the queued run it joined, or the one
     * follow-up run of a view that is refreshing right now.
     */
    record Accepted(Ticket ticket, How how) implements Admission {
    }

    /** How an accepted request is served. */
    enum How {

        /** A new run was queued. */
        QUEUED,
        /** It joined a run already waiting for a slot. */
        JOINED,
        /** The view is refreshing; it is served by the one run queued after that one. */
        FOLLOW_UP;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** Nothing will run; {@code message} says why, for the caller. */
    record Refused(Refusal refusal, String message) implements Admission {
    }

    /** Why a request is refused. */
    enum Refusal {

        /** mvrefresh does not know the view (neither configured nor discovered). */
        UNKNOWN,
        /** Configured, but it does not exist in PostgreSQL. */
        MISSING,
        /** {@code enabled=false}: never refreshed, by anything. */
        DISABLED,
        /** Paused by an operator until it is resumed. */
        PAUSED,
        /** mvrefresh is shutting down and starts nothing new. */
        STOPPING;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Not now: {@code min-interval} holds the view back until {@code until}. The request is kept and
     * the view runs then with the request's trigger; never answered to a forced (admin) request.
     */
    record Deferred(Instant until) implements Admission {
    }

    /** A new run is needed and has no id yet: allocate one and ask again. Never leaves the scheduler. */
    record NeedsRunId() implements Admission {
    }
}
