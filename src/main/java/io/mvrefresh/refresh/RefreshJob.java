package io.mvrefresh.refresh;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Instant;
import java.util.Set;

/**
 * One refresh to run: the view's settings and catalog entry when it starts, and why.
 *
 * @param scanned the view as the last catalog scan saw it (its dependencies and whether its
 *     changes can be detected), or null when not known
 * @param knownFreshAsOf when the view was last known fresh as the dispatcher saw it when the view
 *     fell due; a newer value in PostgreSQL means another replica refreshed it since
 * @param trigger the strongest reason the run was asked for; only a scheduled run may end as
 *     "nothing to do"
 * @param upstream every view this one reads, directly or not: their locks are taken shared, so
 *     no replica refreshes one of them meanwhile
 * @param changeAnnounced a notification announced a write to what it reads: the run refreshes even
 *     when the write counters do not show it yet
 * @param readers the views that read this one directly: a successful refresh marks each as owing a
 *     refresh, in its own transaction, so the cascade survives a shutdown or a crash
 */
public record RefreshJob(long runId, ViewSettings settings, CatalogView scanned, Instant knownFreshAsOf, Trigger trigger,
        Instant queuedAt, Set<ViewId> upstream, boolean changeAnnounced, Set<ViewId> readers) {

    public RefreshJob {
        upstream = Set.copyOf(upstream);
        readers = Set.copyOf(readers);
    }

    public ViewId view() {
        return settings.view();
    }

    /** The prefix every log line about this run carries, e.g. {@code refresh #412(schedule) "public"."mv":}. */
    public String logPrefix() {
        return "refresh #" + runId + " (" + trigger.label() + ") " + view().quoted() + ":";
    }
}
