package io.mvrefresh.catalog;

import io.mvrefresh.config.RefreshMode;
import io.mvrefresh.vocabulary.AppliedMode;
import io.mvrefresh.vocabulary.ViewId;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One materialized view as the catalog describes it.
 *
 * @param populated false for a view created {@code WITH NO DATA} and never refreshed
 * @param hasUsableUniqueIndex whether PostgreSQL would accept {@code REFRESH ... CONCURRENTLY}
 *     for it (see {@link CatalogQueries#USABLE_UNIQUE_INDEX})
 * @param upstreamViews materialized views it reads, directly or through plain views
 * @param baseRelations tables and foreign tables it reads, directly, through plain views or
 *     through SQL functions with tracked bodies
 * @param readOids the oids of everything in {@code upstreamViews} and {@code baseRelations}: what
 *     change detection fingerprints
 * @param changeDetectionBlockers why the view's result can change without a write to what it
 *     reads (time functions, volatile or untracked functions, foreign tables); empty when
 *     {@code skip-unchanged} can apply
 * @param definition the version of the view's query and of every plain view and SQL function body
 *     it reads through: it changes with {@code CREATE OR REPLACE VIEW} or {@code FUNCTION} along the
 *     way, which changes the view's result without a write; empty where unknown
 * @param comment the view's comment ({@code COMMENT ON MATERIALIZED VIEW}), where its
 *     {@code mvrefresh:} settings are; empty when it has none
 */
public record CatalogView(ViewId id, long oid, boolean populated, boolean hasUsableUniqueIndex,
        Set<ViewId> upstreamViews, Set<ViewId> baseRelations, Set<Long> readOids, List<String> changeDetectionBlockers,
        String definition, String comment) {

    /** A view whose definition version is not known (read in a refresh's transaction, or in tests). */
    public CatalogView(ViewId id, long oid, boolean populated, boolean hasUsableUniqueIndex, Set<ViewId> upstreamViews,
            Set<ViewId> baseRelations, Set<Long> readOids, List<String> changeDetectionBlockers) {
        this(id, oid, populated, hasUsableUniqueIndex, upstreamViews, baseRelations, readOids, changeDetectionBlockers, "");
    }

    /** A view without a comment. */
    public CatalogView(ViewId id, long oid, boolean populated, boolean hasUsableUniqueIndex, Set<ViewId> upstreamViews,
            Set<ViewId> baseRelations, Set<Long> readOids, List<String> changeDetectionBlockers, String definition) {
        this(id, oid, populated, hasUsableUniqueIndex, upstreamViews, baseRelations, readOids, changeDetectionBlockers,
                definition, "");
    }

    public CatalogView {
        upstreamViews = Set.copyOf(upstreamViews);
        baseRelations = Set.copyOf(baseRelations);
        readOids = Set.copyOf(readOids);
        changeDetectionBlockers = List.copyOf(changeDetectionBlockers);
        comment = comment == null ? "" : comment;
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

    /**
     * The mode a refresh asked for as {@code requested} runs in right now: {@code auto} runs
     * CONCURRENTLY where PostgreSQL would accept it; empty for {@code concurrent} where it would not
     * (the run fails with {@link #concurrentlyIneligibleReason()}, it never falls back).
     */
    public Optional<AppliedMode> modeInEffect(RefreshMode requested) {
        return switch (requested) {
            case BLOCKING -> Optional.of(AppliedMode.BLOCKING);
            case AUTO -> Optional.of(concurrentlyEligible() ? AppliedMode.CONCURRENT : AppliedMode.BLOCKING);
            case CONCURRENT -> concurrentlyEligible() ? Optional.of(AppliedMode.CONCURRENT) : Optional.empty();
        };
    }

    /** Whether an unchanged fingerprint proves the view's contents would not change. */
    public boolean changeDetectable() {
        return changeDetectionBlockers.isEmpty();
    }

    /** The same view, now populated (after its first successful refresh). */
    public CatalogView populatedNow() {
        return new CatalogView(id, oid, true, hasUsableUniqueIndex, upstreamViews, baseRelations, readOids,
                changeDetectionBlockers, definition, comment);
    }
}
