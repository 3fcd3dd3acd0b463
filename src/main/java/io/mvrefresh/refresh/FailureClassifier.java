package io.mvrefresh.refresh;

import io.mvrefresh.refresh.RefreshOutcome.Failure;
import io.mvrefresh.vocabulary.AppliedMode;
import io.vertx.pgclient.PgException;

/** Turns what a refresh threw into a run outcome with PostgreSQL's own error text. */
final class FailureClassifier {

    /** query_canceled: statement_timeout, a cancel request or pg_cancel_backend. */
    private static final String QUERY_CANCELED = "57014";

    private FailureClassifier() {
    }

    static RefreshOutcome classify(Throwable failure, AppliedMode attempted) {
        if (failure instanceof RefreshAborted aborted) {
            return aborted.outcome();
        }
        if (failure instanceof PgException pg) {
            String message = pg.getErrorMessage() + " (SQLSTATE " + pg.getSqlState() + ")";
            if (pg.getDetail() != null) {
                message += ": " + pg.getDetail();
            }
            if (QUERY_CANCELED.equals(pg.getSqlState())) {
                boolean timedOut = pg.getErrorMessage() != null && pg.getErrorMessage().contains("statement timeout");
                return new RefreshOutcome.Failed(timedOut ? Failure.TIMEOUT : Failure.CANCELLED, attempted, message);
            }
            return new RefreshOutcome.Failed(Failure.FAILED, attempted, message);
        }
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        return new RefreshOutcome.Failed(Failure.FAILED, attempted, "PostgreSQL unreachable or connection lost: " + message,
                true);
    }
}
