package io.mvrefresh.scheduling;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.vocabulary.ViewId;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which views read which relation, by oid (what the write counters report) and by name (what a
 * notification names), and which relations are worth watching. Rebuilt from the views' catalog
 * entries after every catalog scan.
 */
final class ChangeIndex {

    /**
     * One view as the index needs it.
     *
     * @param catalog null when the view does not exist
     * @param hasTarget whether it has a freshness target
     */
    record Reader(ViewId view, CatalogView catalog, boolean hasTarget) {
    }

    private final Map<Long, Set<ViewId>> readersOfRelation = new HashMap<>();
    private final Map<ViewId, Set<ViewId>> readersOfName = new HashMap<>();
    private Set<Long> targeted = Set.of();
    private Set<Long> allWatchable = Set.of();
    private Set<ViewId> targetedViews = Set.of();

    void rebuild(Collection<Reader> readers) {
        readersOfRelation.clear();
        readersOfName.clear();
        Set<Long> targetedNow = new HashSet<>();
        Set<Long> watchableNow = new HashSet<>();
        Set<ViewId> targetedViewsNow = new HashSet<>();
        for (Reader reader : readers) {
            CatalogView catalog = reader.catalog();
            if (catalog == null) {
                continue;
            }
            for (Long relation : catalog.readOids()) {
                readersOfRelation.computeIfAbsent(relation, key -> new HashSet<>()).add(reader.view());
            }
            for (ViewId name : catalog.baseRelations()) {
                readersOfName.computeIfAbsent(name, key -> new HashSet<>()).add(reader.view());
            }
            for (ViewId name : catalog.upstreamViews()) {
                readersOfName.computeIfAbsent(name, key -> new HashSet<>()).add(reader.view());
            }
            if (catalog.changeDetectable()) {
                watchableNow.addAll(catalog.readOids());
                if (reader.hasTarget()) {
                    targetedNow.addAll(catalog.readOids());
                    targetedViewsNow.add(reader.view());
                }
            }
        }
        targeted = Set.copyOf(targetedNow);
        allWatchable = Set.copyOf(watchableNow);
        targetedViews = Set.copyOf(targetedViewsNow);
    }

    /** Views with a freshness target whose changes can be detected: watched on every poll. */
    Set<ViewId> targeted() {
        return targetedViews;
    }

    /** The views reading the relation with oid {@code relation}. */
    Set<ViewId> readersOf(long relation) {
        return readersOfRelation.getOrDefault(relation, Set.of());
    }

    /** The views reading the table or view named {@code name}. */
    Set<ViewId> readersOf(ViewId name) {
        return readersOfName.getOrDefault(name, Set.of());
    }

    /**
     * The relations (oids, leaf partitions not included) whose write counters are watched: those
     * read by views with a freshness target, or ({@code all}) by every view whose changes can be
     * detected, which their lag needs.
     */
    Set<Long> watched(boolean all) {
        return all ? allWatchable : targeted;
    }
}
