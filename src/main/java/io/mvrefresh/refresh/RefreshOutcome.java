package io.mvrefresh.refresh;

import io.mvrefresh.vocabulary.AppliedMode;
import io.mvrefresh.vocabulary.Outcome;
import io.mvrefresh.vocabulary.SkipReason;

/** How one refresh ended; a switch over it covers every case. */
public sealed interface RefreshOutcome {

    /** The outcome stored in {@code refresh_run.outcome}. */
    Outcome outcome();

    /** The REFRESH that ran or was attempted; null when none was. */
    AppliedMode mode();

    /**
     * The REFRESH committed.
     *
     * @param walPosition a WAL position at or after its commit record, as bytes from {@code 0/0}; a
     *     standby that has replayed up to it shows the refreshed rows. 0 when not taken (nothing is
     *     to be invalidated after it); {@link #POSITION_UNKNOWN} when reading it failed.
     */
    record Refreshed(AppliedMode mode, long walPosition) implements RefreshOutcome {

        public static final long POSITION_UNKNOWN = -1;

        public Refreshed(AppliedMode mode) {
            this(mode, 0);
        }

        @Override
        public Outcome outcome() {
            return Outcome.SUCCESS;
        }
    }

    /** No REFRESH ran: stored as {@code skipped} where it is stored at all. */
    sealed interface NotRun extends RefreshOutcome {

        @Override
        default Outcome outcome() {
            return Outcome.SKIPPED;
        }

        @Override
        default AppliedMode mode() {
            return null;
        }
    }

    /** Nothing was executed, on purpose. */
    record Skipped(SkipReason reason) implements NotRun {
    }

    /**
     * Nothing to do and nothing recorded: another replica refreshed the view after this one
     * decided it was due. The run id stays unused.
     */
    record AlreadyFresh() implements NotRun {
    }

    /**
     * Not now, and nothing recorded: a view it reads or that reads it is being refreshed by another
     * replica. The run is tried again shortly, with its trigger, and runs after that one.
     */
    record WaitingForRelated() implements NotRun {
    }

    /** How a refresh can fail; each is one {@link Outcome}. */
    enum Failure {

        /** An SQL error, a lock timeout, a lost connection, an ineligible view. */
        FAILED(Outcome.FAILED),
        /** The statement timeout ended it. */
        TIMEOUT(Outcome.TIMEOUT),
        /** A cancel request ended it (shutdown, or an operator's pg_cancel_backend). */
        CANCELLED(Outcome.CANCELLED);

        private final Outcome outcome;

        Failure(Outcome outcome) {
            this.outcome = outcome;
        }

        public Outcome outcome() {
            return outcome;
        }
    }

    /**
     * The refresh did not happen; {@code error} carries PostgreSQL's message or mvrefresh's
     * reason.
     *
     * @param connectionLost PostgreSQL could not be reached or the connection broke: the failure
     *     says nothing about the view, and other refreshes would fail the same way
     */
    record Failed(Failure failure, AppliedMode mode, String error, boolean connectionLost) implements RefreshOutcome {

        public Failed(Failure failure, AppliedMode mode, String error) {
            this(failure, mode, error, false);
        }

        @Override
        public Outcome outcome() {
            return failure.outcome();
        }
    }
}
