package io.mvrefresh.refresh;

/**
 * Thrown inside the refresh transaction to roll it back with a known outcome (skip, ineligible
 * view) rather than a PostgreSQL error. Carries no stack trace: it is control flow, not a bug.
 */
final class RefreshAborted extends RuntimeException {

    private final RefreshOutcome outcome;

    RefreshAborted(RefreshOutcome outcome) {
        super(outcome.toString(), null, false, false);
        this.outcome = outcome;
    }

    RefreshOutcome outcome() {
        return outcome;
    }
}
