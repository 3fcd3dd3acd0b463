package io.mvrefresh.support;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Reads overlap and order out of refresh_run's started_at/finished_at columns. */
public final class RunIntervals {

    private RunIntervals() {
    }

    public static OffsetDateTime started(Map<String, Object> run) {
        return (OffsetDateTime) run.get("started_at");
    }

    public static OffsetDateTime finished(Map<String, Object> run) {
        return (OffsetDateTime) run.get("finished_at");
    }

    /** The most runs in progress at any one instant. */
    public static int maxConcurrent(List<Map<String, Object>> runs) {
        record Edge(OffsetDateTime at, int delta) {
        }
        List<Edge> edges = new ArrayList<>();
        for (Map<String, Object> run : runs) {
            edges.add(new Edge(started(run), 1));
            edges.add(new Edge(finished(run), -1));
        }
        // At equal instants a run that ends frees its slot before the next one takes it.
        edges.sort(Comparator.comparing(Edge::at).thenComparingInt(Edge::delta));
        int current = 0;
        int max = 0;
        for (Edge edge : edges) {
            current += edge.delta();
            max = Math.max(max, current);
        }
        return max;
    }

    /** Whether two runs were in progress at the same time. */
    public static boolean overlap(Map<String, Object> a, Map<String, Object> b) {
        return started(a).isBefore(finished(b)) && started(b).isBefore(finished(a));
    }
}
