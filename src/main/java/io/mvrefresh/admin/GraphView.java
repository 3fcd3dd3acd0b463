package io.mvrefresh.admin;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.time.Instant;
import java.util.List;

/**
 * The dependency graph as the admin API shows it: views as nodes, "reader reads source" as edges.
 *
 * @param around the view whose neighbourhood this is, or null for the whole graph
 * @param total how many views mvrefresh manages, whether all are here or not
 */
@RegisterForReflection
public record GraphView(String around, int depth, int total, List<Node> nodes, List<Edge> edges) {

    /**
     * One view.
     *
     * @param lagSeconds as in {@code /admin/views}: null when its changes cannot be watched
     * @param stalenessSeconds seconds since it was last known fresh, null when never
     * @param why the reason of its {@code why} (e.g. {@code waiting-for-source}), with its message and until
     * @param lastDurationMillis how long its last successful refresh took, null before the first
     */
    @RegisterForReflection
    public record Node(String view, String status, String priority, Long lagSeconds, Long stalenessSeconds, String why,
            String whyMessage, Instant whyUntil, Instant lastSuccessAt, Long lastDurationMillis, Instant nextDue) {

        /** The view as {@code /admin/views} shows it, reduced to what the picture and the overview need. */
        static Node of(ViewView view, Long lastDurationMillis) {
            return new Node(view.name(), view.status(), view.priority(), view.lagSeconds(), view.stalenessSeconds(),
                    view.why().reason(), view.why().message(), view.why().until(), view.lastSuccessAt(), lastDurationMillis,
                    view.nextDue());
        }
    }

    /** {@code reader} reads {@code source} (in its definition, or through {@code depends-on}). */
    @RegisterForReflection
    public record Edge(String source, String reader) {
    }
}
