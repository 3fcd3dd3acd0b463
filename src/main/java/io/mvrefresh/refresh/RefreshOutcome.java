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
     * The refresh did not happen: {@code outcome} is FAILED, TIMEOUT or CANCELLED and
     * {@code error} carries PostgreSQL's message or mvrefresh's reason.
     */
    record Failed(Outcome outcome, AppliedMode mode, String error) implements RefreshOutcome {
    }
}
