package io.mvrefresh.admin;

import io.mvrefresh.runs.LastRuns;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.scheduling.ViewSnapshot;
import io.mvrefresh.vocabulary.ViewId;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

/**
 * {@code GET /admin/graph}: the dependency graph, read-only, for the console's picture. Edges come
 * from the catalog (a view's definition reads another) and from {@code depends-on}.
 */
@Path("/admin/graph")
@Produces(MediaType.APPLICATION_JSON)
@SecurityRequirement(name = "adminToken")
public class GraphResource {

    static final int MAX_DEPTH = 10;

    private final Dispatcher dispatcher;
    private final LastRuns lastRuns;

    public GraphResource(Dispatcher dispatcher, LastRuns lastRuns) {
        this.dispatcher = dispatcher;
        this.lastRuns = lastRuns;
    }

    @GET
    @Operation(summary = "Dependency graph", description = "Every view and which views read it; with ?view= only the views "
            + "within ?depth= (default 2) edges of that one, upstream and downstream.")
    @APIResponse(responseCode = "200", description = "The graph", content = @Content(schema = @Schema(implementation = GraphView.class)))
    @APIResponse(responseCode = "400", description = "A bad depth", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "404", description = "Unknown view", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Response graph(@QueryParam("view") String around, @QueryParam("depth") String depthText) {
        int depth;
        try {
            depth = depthText == null ? 2 : Integer.parseInt(depthText.trim());
        } catch (NumberFormatException e) {
            depth = -1;
        }
        if (depth < 1 || depth > MAX_DEPTH) {
            return AdminAuthorization.error(Response.Status.BAD_REQUEST,
                    "depth=" + depthText + ": write a whole number from 1 to " + MAX_DEPTH);
        }
        List<ViewSnapshot> snapshots = dispatcher.snapshots();
        Set<ViewId> known = new HashSet<>();
        snapshots.forEach(snapshot -> known.add(snapshot.settings().view()));
        // The edges the dispatcher orders refreshes by, so the picture shows what actually waits for what.
        Set<GraphView.Edge> edges = new LinkedHashSet<>();
        dispatcher.sources().entrySet().stream().filter(entry -> known.contains(entry.getKey()))
                .sorted(Map.Entry.comparingByKey())
                .forEach(entry -> entry.getValue().stream().filter(known::contains).sorted()
                        .forEach(source -> edges.add(new GraphView.Edge(source.toString(), entry.getKey().toString()))));
        Set<String> included;
        if (around == null || around.isBlank()) {
            included = null;
        } else {
            Optional<ViewId> center = ViewId.parse(around).filter(known::contains);
            if (center.isEmpty()) {
                return AdminResource.unknownView(around);
            }
            included = neighbourhood(center.get().toString(), edges, depth);
        }
        List<GraphView.Node> nodes = new ArrayList<>();
        snapshots.stream().sorted(Comparator.comparing(snapshot -> snapshot.settings().view()))
                .filter(snapshot -> included == null || included.contains(snapshot.settings().view().toString()))
                .forEach(snapshot -> nodes.add(node(snapshot)));
        List<GraphView.Edge> shown = edges.stream()
                .filter(edge -> included == null || included.contains(edge.source()) && included.contains(edge.reader()))
                .toList();
        return Response.ok(new GraphView(included == null ? null : around, included == null ? 0 : depth, snapshots.size(),
                nodes, shown)).build();
    }

    private static Set<String> neighbourhood(String center, Set<GraphView.Edge> edges, int depth) {
        Set<String> reached = new HashSet<>(Set.of(center));
        Deque<String> frontier = new ArrayDeque<>(List.of(center));
        for (int step = 0; step < depth && !frontier.isEmpty(); step++) {
            Deque<String> next = new ArrayDeque<>();
            for (String view : frontier) {
                for (GraphView.Edge edge : edges) {
                    String other = edge.source().equals(view) ? edge.reader() : edge.reader().equals(view) ? edge.source() : null;
                    if (other != null && reached.add(other)) {
                        next.add(other);
                    }
                }
            }
            frontier = next;
        }
        return reached;
    }

    private GraphView.Node node(ViewSnapshot snapshot) {
        ViewId view = snapshot.settings().view();
        return GraphView.Node.of(ViewView.of(snapshot, lastRuns.lastRun(view).orElse(null)),
                lastRuns.lastRefreshDuration(view).map(Duration::toMillis).orElse(null));
    }
}
