package io.mvrefresh.scheduling;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.vocabulary.ViewId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Which views read which: the catalog's dependencies (through plain views) plus each view's
 * {@code depends-on}. Immutable; rebuilt after every catalog scan.
 */
final class DependencyGraph {

    static final DependencyGraph EMPTY = new DependencyGraph(Map.of(), Map.of(), List.of());

    private final List<String> ignoredDependsOn;
    private final Map<ViewId, Set<ViewId>> upstream;
    private final Map<ViewId, Set<ViewId>> downstream;
    private final Map<ViewId, Set<ViewId>> allUpstream = new HashMap<>();
    private final Map<ViewId, Set<ViewId>> allDownstream = new HashMap<>();

    private DependencyGraph(Map<ViewId, Set<ViewId>> upstream, Map<ViewId, Set<ViewId>> downstream,
            List<String> ignoredDependsOn) {
        this.ignoredDependsOn = List.copyOf(ignoredDependsOn);
        // Frozen: the policy hands it out (sources()) beyond its lock.
        Map<ViewId, Set<ViewId>> frozen = new HashMap<>();
        upstream.forEach((view, reads) -> frozen.put(view, Set.copyOf(reads)));
        this.upstream = Map.copyOf(frozen);
        this.downstream = downstream;
        for (ViewId view : union(upstream.keySet(), downstream.keySet())) {
            allUpstream.put(view, Set.copyOf(closure(view, upstream::get)));
            allDownstream.put(view, Set.copyOf(closure(view, downstream::get)));
        }
    }

    /**
     * The catalog's dependencies (acyclic: PostgreSQL cannot create a view reading itself) plus
     * {@code depends-on}. Startup already rejected cycles among depends-on alone; a depends-on
     * entry that closes a cycle through the catalog's edges is left out and reported, because a
     * cycle would make every refresh trigger its own upstream again, forever. Such entries are
     * listed by {@link #ignoredDependsOn()}.
     */
    static DependencyGraph of(Collection<CatalogView> views, Function<ViewId, ViewSettings> settings) {
        List<String> ignored = new ArrayList<>();
        Map<ViewId, Set<ViewId>> upstream = new HashMap<>();
        for (CatalogView view : views) {
            Set<ViewId> reads = new HashSet<>(view.upstreamViews());
            reads.remove(view.id());
            upstream.put(view.id(), reads);
        }
        for (CatalogView view : views.stream().sorted(Comparator.comparing(CatalogView::id)).toList()) {
            for (ViewId extra : new TreeSet<>(settings.apply(view.id()).dependsOn())) {
                if (extra.equals(view.id()) || closure(extra, upstream::get).contains(view.id())) {
                    ignored.add("mvrefresh.views.\"%s\".depends-on=%s is ignored: %s already reads %s, so it would form a cycle"
                            .formatted(view.id(), extra, extra, view.id()));
                    continue;
                }
                upstream.computeIfAbsent(view.id(), k -> new HashSet<>()).add(extra);
            }
        }
        Map<ViewId, Set<ViewId>> downstream = new HashMap<>();
        upstream.forEach(
                (reader, reads) -> reads.forEach(read -> downstream.computeIfAbsent(read, k -> new HashSet<>()).add(reader)));
        return new DependencyGraph(upstream, downstream, ignored);
    }

    /** The depends-on entries left out because they would close a cycle, one message each. */
    List<String> ignoredDependsOn() {
        return ignoredDependsOn;
    }

    /** Every view with the views it reads directly: the edges refreshes are ordered by. */
    Map<ViewId, Set<ViewId>> sources() {
        return upstream;
    }

    /** Views this one reads directly. */
    Set<ViewId> upstreamOf(ViewId view) {
        return upstream.getOrDefault(view, Set.of());
    }

    /** Views that read this one directly. */
    Set<ViewId> downstreamOf(ViewId view) {
        return downstream.getOrDefault(view, Set.of());
    }

    /** Every view this one reads, transitively. */
    Set<ViewId> allUpstreamOf(ViewId view) {
        return allUpstream.getOrDefault(view, Set.of());
    }

    /** Every view reading this one, transitively. */
    Set<ViewId> allDownstreamOf(ViewId view) {
        return allDownstream.getOrDefault(view, Set.of());
    }

    private static Set<ViewId> closure(ViewId start, Function<ViewId, Set<ViewId>> next) {
        Set<ViewId> seen = new HashSet<>();
        Deque<ViewId> pending = new ArrayDeque<>();
        pending.add(start);
        while (!pending.isEmpty()) {
            Set<ViewId> neighbours = next.apply(pending.poll());
            if (neighbours == null) {
                continue;
            }
            for (ViewId neighbour : neighbours) {
                if (!neighbour.equals(start) && seen.add(neighbour)) {
                    pending.add(neighbour);
                }
            }
        }
        return seen;
    }

    private static Set<ViewId> union(Set<ViewId> a, Set<ViewId> b) {
        Set<ViewId> all = new HashSet<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * Whether {@code view} must wait: while a view it reads is busy (running or queued: sources go
     * first, or a reader refreshed before its source would read stale or unpopulated data and need a
     * second refresh), and while a view that reads it is running (a source never changes under a
     * reader).
     */
    boolean mustWait(ViewId view, Predicate<ViewId> busy, Predicate<ViewId> running) {
        return waitsFor(view, busy, running).isPresent();
    }

    /** The related view {@code view} waits for (see {@link #mustWait}), if any. */
    Optional<ViewId> waitsFor(ViewId view, Predicate<ViewId> busy, Predicate<ViewId> running) {
        Optional<ViewId> source = allUpstreamOf(view).stream().filter(busy).sorted().findFirst();
        return source.isPresent() ? source : allDownstreamOf(view).stream().filter(running).sorted().findFirst();
    }
}
