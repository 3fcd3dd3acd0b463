package io.mvrefresh.catalog;

import java.util.Set;

/**
 * One materialized view as the catalog describes it.
 *
 * @param populated false for a view created {@code WITH NO DATA} and never refreshed
 * @param hasUsableUniqueIndex whether PostgreSQL would accept {@code REFRESH ... CONCURRENTLY}
 *     for it (see {@link CatalogQueries#USABLE_UNIQUE_INDEX})
 * @param upstreamViews materialized views it reads, directly or through plain views
 * @param baseRelations tables and foreign tables it reads, directly or through plain views
 */
public record CatalogView(ViewId id, long oid, boolean populated, boolean hasUsableUniqueIndex,
        Set<ViewId> upstreamViews, Set<ViewId> baseRelations) {

    public CatalogView {
        upstreamViews = Set.copyOf(upstreamViews);
        baseRelations = Set.copyOf(baseRelations);
    }

    /** Whether {@code REFRESH ... CONCURRENTLY} would be accepted right now. */
    public boolean concurrentlyEligible() {
        return populated && hasUsableUniqueIndex;
    }

    /** Why CONCURRENTLY would be refused, for run errors and the admin API; empty when eligible. */
    public String concurrentlyIneligibleReason() {
        if (!populated) {
            return "the view is not populated (created WITH NO DATA); its first refresh must be plain";
        }
        if (!hasUsableUniqueIndex) {
            return "the view has no usable unique index (unique, valid, immediate, btree, no predicate, no expression columns)";
        }
        return "";
    }
}
