package io.mvrefresh.state;

import io.mvrefresh.catalog.ViewId;
import java.time.Instant;

/** A view's row in {@code mvrefresh.view_state}: what replicas and restarts agree on. */
public record ViewState(ViewId view, Instant lastSuccessAt, Instant lastAttemptAt, int consecutiveFailures, boolean paused) {

    public static ViewState initial(ViewId view) {
        return new ViewState(view, null, null, 0, false);
    }
}
