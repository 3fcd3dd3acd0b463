package io.mvrefresh.refresh;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.catalog.ViewId;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.state.Trigger;
import java.time.Instant;

/**
 * One refresh to run: the view's settings and catalog entry at the time it was queued, and why.
 *
 * @param scanned the view as the last catalog scan saw it (its dependencies and whether its
 *     changes can be detected), or null when not known
 * @param knownFreshAsOf when the view was last known fresh as the dispatcher saw it on queueing;
 *     a newer value in PostgreSQL means another replica refreshed it since
 */
public record RefreshJob(long runId, ViewSettings settings, CatalogView scanned, Instant knownFreshAsOf, Trigger trigger,
        Instant queuedAt) {

    public ViewId view() {
        return settings.view();
    }

    /** The prefix every log line about this run carries, e.g. {@code refresh #412(schedule) "public"."mv":}. */
    public String logPrefix() {
        return "refresh #" + runId + "(" + trigger.label() + ") " + view().quoted() + ":";
    }
}
