package io.mvrefresh.admin;

import io.mvrefresh.runs.LastRuns;
import io.mvrefresh.scheduling.Admission;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.scheduling.RunDropped;
import io.mvrefresh.scheduling.Ticket;
import io.mvrefresh.scheduling.ViewSnapshot;
import io.mvrefresh.state.RunHistory;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/** The operator's view of mvrefresh and the way to force refreshes. See README "Admin API". */
@Path("/admin")
@Produces(MediaType.APPLICATION_JSON)
@SecurityScheme(securitySchemeName = "adminToken", type = SecuritySchemeType.HTTP, scheme = "bearer", description = "The shared secret configured as mvrefresh.admin.token (not a JWT): Authorization: Bearer <token>")
@SecurityRequirement(name = "adminToken")
@APIResponse(responseCode = "401", description = "Missing or wrong token", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
@APIResponse(responseCode = "403", description = "The admin API is off: no mvrefresh.admin.token configured", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
public class AdminResource {

    static final Duration MAX_WAIT = Duration.ofMinutes(10);
    static final int DEFAULT_RUNS = 50;
    static final int MAX_RUNS = 1000;

    private final Dispatcher dispatcher;
    private final RunHistory history;
    private final LastRuns lastRuns;

    public AdminResource(Dispatcher dispatcher, RunHistory history, LastRuns lastRuns) {
        this.dispatcher = dispatcher;
        this.history = history;
        this.lastRuns = lastRuns;
    }

    private ViewView view(ViewSnapshot snapshot) {
        return ViewView.of(snapshot, lastRuns.lastRun(snapshot.settings().view()).orElse(null));
    }

    /**
     * Views, sorted by name, filtered by status, priority and name prefix, a page at a time:
     * {@code X-Total-Count} says how many match, {@code Link} gives the next page.
     */
    @GET
    @Path("/views")
    @Operation(summary = "List views", description = "Views sorted by name, filtered and paged. X-Total-Count is the number that "
            + "match; Link rel=next the next page.")
    @APIResponse(responseCode = "200", description = "The views of this page", content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = ViewView.class)))
    @APIResponse(responseCode = "400", description = "A bad filter or page", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Response views(@QueryParam("status") String status, @QueryParam("priority") String priority,
            @QueryParam("prefix") String prefix, @QueryParam("limit") String limit, @QueryParam("offset") String offset,
            @Context UriInfo uri) {
        ViewFilter filter;
        try {
            filter = ViewFilter.parse(status, priority, prefix, limit, offset);
        } catch (IllegalArgumentException e) {
            return AdminAuthorization.error(Response.Status.BAD_REQUEST, e.getMessage());
        }
        List<ViewSnapshot> matching = dispatcher.snapshots().stream().filter(filter::matches).toList();
        List<ViewView> page = matching.stream().skip(filter.offset()).limit(filter.limit()).map(this::view).toList();
        Response.ResponseBuilder response = Response.ok(page).header("X-Total-Count", matching.size());
        if (filter.offset() + page.size() < matching.size()) {
            response.link(uri.getRequestUriBuilder().replaceQueryParam("offset", filter.offset() + page.size()).build(), "next");
        }
        return response.build();
    }

    /** Counts of views by status and priority, and the dispatcher's load: the first thing to look at. */
    @GET
    @Path("/summary")
    @Operation(summary = "Summary", description = "Views by status and by priority, refreshes running and queued, the stalest view.")
    @APIResponse(responseCode = "200", description = "The summary", content = @Content(schema = @Schema(implementation = Summary.class)))
    public Summary summary() {
        return Summary.of(dispatcher.snapshots());
    }

    @GET
    @Path("/views/{view}")
    @Operation(summary = "One view")
    @APIResponse(responseCode = "200", description = "The view", content = @Content(schema = @Schema(implementation = ViewView.class)))
    @APIResponse(responseCode = "404", description = "Unknown view", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Response view(@PathParam("view") String name) {
        return known(name).map(snapshot -> Response.ok(view(snapshot)).build()).orElseGet(() -> unknownView(name));
    }

    /**
     * Forces a refresh: {@code 202} with the run id, or with {@code ?wait=30s} the finished run
     * ({@code 200}) when it ends within that time. A view that is queued already is refreshed by
     * that run (which then counts as forced); one that is refreshing gets exactly one more run.
     */
    @POST
    @Path("/views/{view}/refresh")
    @Operation(summary = "Force a refresh of one view")
    @APIResponse(responseCode = "202", description = "Queued, joined or follow-up: the run that will refresh the view", content = @Content(schema = @Schema(implementation = RefreshAccepted.class)))
    @APIResponse(responseCode = "200", description = "With ?wait=: the finished run", content = @Content(schema = @Schema(implementation = RunView.class)))
    @APIResponse(responseCode = "400", description = "A bad wait", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "404", description = "Unknown or missing view", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "409", description = "Disabled or paused view", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "503", description = "Shutting down, or PostgreSQL unreachable", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<Response> refresh(@PathParam("view") String name, @QueryParam("wait") String wait) {
        Optional<Duration> waitFor;
        try {
            waitFor = parseWait(wait);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().item(AdminAuthorization.error(Response.Status.BAD_REQUEST, e.getMessage()));
        }
        Optional<ViewId> view = ViewId.parse(name);
        if (view.isEmpty()) {
            return Uni.createFrom().item(unknownView(name));
        }
        return dispatcher.request(view.get(), Trigger.ADMIN).flatMap(admission -> switch (admission) {
            case Admission.Accepted accepted -> answer(accepted, waitFor);
            case Admission.Refused refused -> Uni.createFrom().item(refused(name, refused));
            case Admission.NeedsRunId needs -> throw new IllegalStateException("admission without a run id");
            case Admission.Deferred deferred -> throw new IllegalStateException("a forced refresh is never deferred");
        }).onFailure().recoverWithItem(AdminResource::unavailable);
    }

    /**
     * Forces every view (optionally only those of one priority): {@code 202} with, per view, the
     * run that will refresh it, or why none will (disabled, paused, missing).
     */
    @POST
    @Path("/refresh")
    @Operation(summary = "Force a refresh of every view", description = "Optionally only views of one priority.")
    @APIResponse(responseCode = "202", description = "Per view, the run that refreshes it, or why none will", content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = RefreshAccepted.class)))
    @APIResponse(responseCode = "400", description = "Unknown priority", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "503", description = "PostgreSQL unreachable", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<Response> refreshAll(@QueryParam("priority") String priority) {
        Optional<Priority> only = Optional.empty();
        if (priority != null && !priority.isBlank()) {
            only = Priority.parse(priority);
            if (only.isEmpty()) {
                return Uni.createFrom().item(AdminAuthorization.error(Response.Status.BAD_REQUEST,
                        "priority=" + priority + " is not a priority: use one of " + Priority.accepted()));
            }
        }
        Optional<Priority> filter = only;
        List<ViewId> targets = dispatcher.snapshots().stream()
                .filter(snapshot -> filter.isEmpty() || snapshot.settings().priority() == filter.get())
                .map(snapshot -> snapshot.settings().view()).toList();
        return dispatcher.requestAll(targets, Trigger.ADMIN).map(admissions -> {
            List<RefreshAccepted> answers = new ArrayList<>(admissions.size());
            for (int i = 0; i < admissions.size(); i++) {
                answers.add(RefreshAccepted.of(targets.get(i), admissions.get(i)));
            }
            return Response.accepted(answers).build();
        }).onFailure().recoverWithItem(AdminResource::unavailable);
    }

    /** Stops scheduled refreshes of a view, on every replica and across restarts, until resumed. */
    @POST
    @Path("/views/{view}/pause")
    @Operation(summary = "Pause a view", description = "On every replica and across restarts, until resumed.")
    @APIResponse(responseCode = "200", description = "The view", content = @Content(schema = @Schema(implementation = ViewView.class)))
    @APIResponse(responseCode = "404", description = "Unknown view", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "503", description = "PostgreSQL unreachable", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<Response> pause(@PathParam("view") String name) {
        return setPaused(name, true);
    }

    /** Lets a paused view be refreshed again; it is due at once if its interval has passed. */
    @POST
    @Path("/views/{view}/resume")
    @Operation(summary = "Resume a paused view")
    @APIResponse(responseCode = "200", description = "The view", content = @Content(schema = @Schema(implementation = ViewView.class)))
    @APIResponse(responseCode = "404", description = "Unknown view", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "503", description = "PostgreSQL unreachable", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<Response> resume(@PathParam("view") String name) {
        return setPaused(name, false);
    }

    /** Recent runs, newest first: {@code ?view=schema.name} for one view, {@code ?limit=} 1 to 1000 (default 50). */
    @GET
    @Path("/runs")
    @Operation(summary = "Recent runs, newest first")
    @APIResponse(responseCode = "200", description = "The runs", content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = RunView.class)))
    @APIResponse(responseCode = "400", description = "A bad limit", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "404", description = "Unknown view", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    @APIResponse(responseCode = "503", description = "PostgreSQL unreachable", content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Uni<Response> runs(@QueryParam("view") String name, @QueryParam("limit") String limit) {
        int count;
        try {
            count = limit == null || limit.isBlank() ? DEFAULT_RUNS : Integer.parseInt(limit.trim());
        } catch (NumberFormatException e) {
            count = -1;
        }
        if (count < 1 || count > MAX_RUNS) {
            return Uni.createFrom().item(AdminAuthorization.error(Response.Status.BAD_REQUEST,
                    "limit=" + limit + " must be a whole number from 1 to " + MAX_RUNS));
        }
        Optional<ViewId> view = Optional.empty();
        if (name != null && !name.isBlank()) {
            view = ViewId.parse(name.trim());
            if (view.isEmpty() || dispatcher.snapshot(view.get()).isEmpty()) {
                return Uni.createFrom().item(unknownView(name));
            }
        }
        return history.recentRuns(view, count).map(runs -> Response.ok(runs.stream()
                .map(run -> RunView.of(run, dispatcher.snapshot(run.view())
                        .map(snapshot -> !snapshot.settings().invalidation().isEmpty()).orElse(false)))
                .toList()).build()).onFailure().recoverWithItem(AdminResource::unavailable);
    }

    private Uni<Response> setPaused(String name, boolean paused) {
        Optional<ViewId> view = ViewId.parse(name);
        if (view.isEmpty()) {
            return Uni.createFrom().item(unknownView(name));
        }
        return dispatcher.setPaused(view.get(), paused)
                .map(snapshot -> snapshot.map(s -> Response.ok(view(s)).build()).orElseGet(() -> unknownView(name))).onFailure()
                .recoverWithItem(AdminResource::unavailable);
    }

    private Uni<Response> answer(Admission.Accepted accepted, Optional<Duration> waitFor) {
        Ticket ticket = accepted.ticket();
        Response queued = Response.accepted(RefreshAccepted.of(ticket.view(), accepted)).build();
        if (waitFor.isEmpty()) {
            return Uni.createFrom().item(queued);
        }
        return Uni.createFrom().completionStage(ticket.result())
                .map(run -> Response.ok(RunView.of(run.record(), !run.job().settings().invalidation().isEmpty())).build())
                .onFailure(RunDropped.class)
                .recoverWithItem(dropped -> AdminAuthorization.error(Response.Status.CONFLICT, dropped.getMessage())).ifNoItem()
                .after(waitFor.get()).recoverWithItem(queued);
    }

    private Optional<ViewSnapshot> known(String name) {
        return ViewId.parse(name).flatMap(dispatcher::snapshot);
    }

    private static Response refused(String name, Admission.Refused refused) {
        return switch (refused.refusal()) {
            case UNKNOWN -> unknownView(name);
            case MISSING -> AdminAuthorization.error(Response.Status.NOT_FOUND, refused.message());
            case DISABLED, PAUSED -> AdminAuthorization.error(Response.Status.CONFLICT, refused.message());
            case STOPPING -> AdminAuthorization.error(Response.Status.SERVICE_UNAVAILABLE, refused.message());
        };
    }

    static Response unknownView(String name) {
        return AdminAuthorization.error(Response.Status.NOT_FOUND,
                "unknown view '" + name + "': " + ViewId.namingHint() + "; GET /admin/views lists the views mvrefresh manages");
    }

    /** PostgreSQL did not answer: the request is not lost, it was never taken. */
    private static Response unavailable(Throwable failure) {
        return AdminAuthorization.error(Response.Status.SERVICE_UNAVAILABLE,
                "PostgreSQL is unreachable, try again later: " + failure.getMessage());
    }

    static Optional<Duration> parseWait(String wait) {
        if (wait == null || wait.isBlank()) {
            return Optional.empty();
        }
        Duration parsed;
        try {
            parsed = DurationConverter.parseDuration(wait.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("wait=" + wait + " is not a duration: use e.g. 500ms, 30s or 2m");
        }
        if (parsed == null || parsed.isNegative() || parsed.isZero() || parsed.compareTo(MAX_WAIT) > 0) {
            throw new IllegalArgumentException("wait=" + wait + " must be more than 0 and at most " + MAX_WAIT.toMinutes() + "m");
        }
        return Optional.of(parsed);
    }
}
