package io.mvrefresh.refresh;

import io.mvrefresh.state.AppliedMode;
import io.mvrefresh.state.Outcome;

/** How one refresh ended; a switch over it covers every case. */
public sealed interface RefreshOutcome {

    /** The outcome stored in {@code refresh_run.outcome}. */
    Outcome outcome();

    /** The REFRESH that ran or was attempted; null when none was. */
    AppliedMode mode();

    /** The REFRESH committed. */
    record Refreshed(AppliedMode mode) implements RefreshOutcome {
        @Override
        public Outcome outcome() {
            return Outcome.SUCCESS;
        }
    }

    /** Nothing was executed, on purpose. */
    record Skipped(SkipReason reason) implements RefreshOutcome {
        @Override
        public Outcome outcome() {
            return Outcome.SKIPPED;
        }

        @Override
        public AppliedMode mode() {
            return null;
        }
    }

    /**
     * Nothing to do and nothing recorded: another replica refreshed the view after this one
     * decided it was due. The run id stays unused.
     */
    record AlreadyFresh() implements RefreshOutcome {
        @Override
        public Outcome outcome() {
            return Outcome.SKIPPED;
        }

        @Override
        public AppliedMode mode() {
            return null;
        }
    }

    /**
     * The refresh did not happen: {@code outcome} is FAILED, TIMEOUT or CANCELLED and
     * {@code error} carries PostgreSQL's message or mvrefresh's reason.
     *
     * @param connectionLost PostgreSQL could not be reached or the connection broke: the failure
     *     says nothing about the view, and other refreshes would fail the same way
     */
    record Failed(Outcome outcome, AppliedMode mode, String error, boolean connectionLost) implements RefreshOutcome {

        public Failed(Outcome outcome, AppliedMode mode, String error) {
            this(outcome, mode, error, false);
        }
    }
}
