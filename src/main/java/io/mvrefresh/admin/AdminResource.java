package io.mvrefresh.admin;

import io.mvrefresh.catalog.ViewId;
import io.mvrefresh.config.Priority;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.scheduling.Ticket;
import io.mvrefresh.scheduling.ViewStatus;
import io.mvrefresh.state.StateStore;
import io.mvrefresh.state.Trigger;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The operator's view of mvrefresh and the way to force refreshes. See README "Admin API". */
@Path("/admin")
@Produces(MediaType.APPLICATION_JSON)
public class AdminResource {

    static final Duration MAX_WAIT = Duration.ofMinutes(10);
    static final int DEFAULT_RUNS = 50;
    static final int MAX_RUNS = 1000;

    private final Dispatcher dispatcher;
    private final StateStore store;

    public AdminResource(Dispatcher dispatcher, StateStore store) {
        this.dispatcher = dispatcher;
        this.store = store;
    }

    @GET
    @Path("/views")
    public List<ViewView> views() {
        return dispatcher.statuses().stream().map(ViewView::of).toList();
    }

    @GET
    @Path("/views/{view}")
    public Response view(@PathParam("view") String name) {
        return known(name)
                .map(status -> Response.ok(ViewView.of(status)).build())
                .orElseGet(() -> unknownView(name));
    }

    /**
     * Forces a refresh: {@code 202} with the run id, or with {@code ?wait=30s} the finished run
     * ({@code 200}) when it ends within that time.
     */
    @POST
    @Path("/views/{view}/refresh")
    public Uni<Response> refresh(@PathParam("view") String name, @QueryParam("wait") String wait) {
        Optional<Duration> waitFor;
        try {
            waitFor = parseWait(wait);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().item(AdminAuthorization.error(Response.Status.BAD_REQUEST, e.getMessage()));
        }
        Optional<ViewStatus> status = known(name);
        if (status.isEmpty()) {
            return Uni.createFrom().item(unknownView(name));
        }
        ViewStatus view = status.get();
        if (view.catalogView() == null) {
            return Uni.createFrom().item(AdminAuthorization.error(Response.Status.NOT_FOUND,
                    "view " + name + " is configured but does not exist in PostgreSQL"));
        }
        if (!view.settings().enabled()) {
            return Uni.createFrom().item(AdminAuthorization.error(Response.Status.CONFLICT,
                    "view " + name + " is disabled (mvrefresh.views.\"" + name + "\".enabled=false)"));
        }
        if (view.state().paused()) {
            return Uni.createFrom().item(AdminAuthorization.error(Response.Status.CONFLICT,
                    "view " + name + " is paused: POST /admin/views/" + name + "/resume first"));
        }
        return dispatcher.request(view.settings().view(), Trigger.ADMIN)
                .flatMap(ticket -> ticket.map(t -> answer(t, waitFor)).orElseGet(() -> Uni.createFrom().item(unknownView(name))));
    }

    /**
     * Forces every enabled view that exists (optionally only those of one priority): {@code 202}
     * with the run id of each.
     */
    @POST
    @Path("/refresh")
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
        List<ViewStatus> targets = dispatcher.statuses().stream()
                .filter(status -> status.settings().enabled() && status.catalogView() != null)
                .filter(status -> filter.isEmpty() || status.settings().priority() == filter.get())
                .toList();
        return dispatcher.requestAll(targets.stream().map(status -> status.settings().view()).toList(), Trigger.ADMIN)
                .map(tickets -> Response.accepted(tickets.stream()
                        .map(ticket -> new RefreshAccepted(ticket.runId(), ticket.job().view().toString(), "queued"))
                        .toList()).build());
    }

    /** Stops scheduled refreshes of a view, on every replica and across restarts, until resumed. */
    @POST
    @Path("/views/{view}/pause")
    public Uni<Response> pause(@PathParam("view") String name) {
        return setPaused(name, true);
    }

    /** Lets a paused view be refreshed again; it is due at once if its interval has passed. */
    @POST
    @Path("/views/{view}/resume")
    public Uni<Response> resume(@PathParam("view") String name) {
        return setPaused(name, false);
    }

    /** Recent runs, newest first: {@code ?view=schema.name} for one view, {@code ?limit=} 1 to 1000 (default 50). */
    @GET
    @Path("/runs")
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
            if (view.isEmpty() || dispatcher.status(view.get()).isEmpty()) {
                return Uni.createFrom().item(unknownView(name));
            }
        }
        return store.recentRuns(view, count).map(runs -> Response.ok(runs.stream().map(RunView::of).toList()).build());
    }

    private Uni<Response> setPaused(String name, boolean paused) {
        Optional<ViewId> view = ViewId.parse(name);
        if (view.isEmpty()) {
            return Uni.createFrom().item(unknownView(name));
        }
        return dispatcher.setPaused(view.get(), paused)
                .map(status -> status.map(s -> Response.ok(ViewView.of(s)).build()).orElseGet(() -> unknownView(name)));
    }

    private Uni<Response> answer(Ticket ticket, Optional<Duration> waitFor) {
        Response accepted = Response.accepted(new RefreshAccepted(ticket.runId(), ticket.job().view().toString(), "queued")).build();
        if (waitFor.isEmpty()) {
            return Uni.createFrom().item(accepted);
        }
        return Uni.createFrom().completionStage(ticket.result())
                .map(run -> Response.ok(RunView.of(run.record())).build())
                .ifNoItem().after(waitFor.get()).recoverWithItem(accepted);
    }

    private Optional<ViewStatus> known(String name) {
        return ViewId.parse(name).flatMap(dispatcher::status);
    }

    private static Response unknownView(String name) {
        return AdminAuthorization.error(Response.Status.NOT_FOUND,
                "unknown view '" + name + "': name it schema.name; GET /admin/views lists the views mvrefresh manages");
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
