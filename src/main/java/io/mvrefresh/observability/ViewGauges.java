package io.mvrefresh.observability;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.mvrefresh.catalog.ViewId;
import io.mvrefresh.config.Priority;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.scheduling.ViewStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * Gauges read at scrape time from the dispatcher: in flight, queue depth per priority, and per
 * view its staleness, last success, interval and whether it is missing. Per-view gauges follow
 * the catalog: {@link #sync()} adds those of new views and removes those of views that are gone.
 */
@ApplicationScoped
public class ViewGauges {

    private final MeterRegistry registry;
    private final Dispatcher dispatcher;
    private final Clock clock;
    private final Map<ViewId, List<Meter>> perView = new HashMap<>();

    public ViewGauges(MeterRegistry registry, Dispatcher dispatcher, Clock clock) {
        this.registry = registry;
        this.dispatcher = dispatcher;
        this.clock = clock;
        Gauge.builder("mvrefresh.refresh.in.flight", dispatcher, Dispatcher::inFlight)
                .description("Refreshes running right now")
                .register(registry);
        for (Priority priority : Priority.values()) {
            Gauge.builder("mvrefresh.queue.depth", dispatcher, d -> d.queued(priority))
                    .description("Runs waiting for a slot, by the view's configured priority")
                    .tag("priority", priority.label())
                    .register(registry);
        }
    }

    /** Registers the gauges of views that appeared and removes those of views that are gone. */
    public synchronized void sync() {
        Set<ViewId> current = new java.util.HashSet<>();
        for (ViewStatus status : dispatcher.statuses()) {
            ViewId view = status.settings().view();
            current.add(view);
            perView.computeIfAbsent(view, this::register);
        }
        perView.entrySet().removeIf(entry -> {
            if (current.contains(entry.getKey())) {
                return false;
            }
            entry.getValue().forEach(registry::remove);
            return true;
        });
    }

    private List<Meter> register(ViewId view) {
        String name = view.toString();
        return List.of(
                gauge("mvrefresh.view.staleness", "seconds", name, "Seconds since the view was last known fresh (refreshed, or checked unchanged)",
                        d -> status(d, view).map(s -> s.state().freshAsOf()).map(this::secondsSince).orElse(Double.NaN)),
                gauge("mvrefresh.view.last.success.timestamp", "seconds", name, "When the view was last refreshed successfully (Unix time)",
                        d -> status(d, view).map(s -> s.state().lastSuccessAt()).map(at -> at.toEpochMilli() / 1000.0).orElse(Double.NaN)),
                gauge("mvrefresh.view.interval", "seconds", name, "The view's refresh period: its interval, or its cron schedule's current period",
                        d -> status(d, view).map(s -> (double) s.settings().schedule().period(clock.instant()).toMillis() / 1000).orElse(Double.NaN)),
                gauge("mvrefresh.view.missing", null, name, "1 while a configured view does not exist in PostgreSQL",
                        d -> status(d, view).map(s -> s.catalogView() == null ? 1.0 : 0.0).orElse(Double.NaN)));
    }

    private Meter gauge(String metric, String unit, String view, String description, ToDoubleFunction<Dispatcher> value) {
        Gauge.Builder<Dispatcher> builder = Gauge.builder(metric, dispatcher, value).description(description).tag("view", view);
        if (unit != null) {
            builder.baseUnit(unit);
        }
        return builder.register(registry);
    }

    private static Optional<ViewStatus> status(Dispatcher dispatcher, ViewId view) {
        return dispatcher.status(view);
    }

    private double secondsSince(Instant instant) {
        return Math.max(0, Duration.between(instant, clock.instant()).toMillis() / 1000.0);
    }
}
