package io.mvrefresh.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The per-view gauges: staleness, last success, period and missing. The scheduler publishes each
 * view's values when they change; a scrape reads them (staleness against the clock) without
 * asking the scheduler anything.
 */
@ApplicationScoped
public class ViewMetrics {

    /** One view's values as last published. */
    public record Values(Instant freshAsOf, Instant lastSuccessAt, Duration period, boolean missing) {
    }

    private final MeterRegistry registry;
    private final Clock clock;
    private final Map<String, Published> published = new ConcurrentHashMap<>();

    public ViewMetrics(MeterRegistry registry, Clock clock) {
        this.registry = registry;
        this.clock = clock;
    }

    /** Publishes {@code view}'s current values, registering its gauges the first time. */
    public void publish(String view, Values values) {
        published.computeIfAbsent(view, this::register).values = values;
    }

    /** Removes the gauges of every view not in {@code known}. */
    public void retainOnly(Set<String> known) {
        published.entrySet().removeIf(entry -> {
            if (known.contains(entry.getKey())) {
                return false;
            }
            entry.getValue().meters.forEach(registry::remove);
            return true;
        });
    }

    private Published register(String view) {
        Published holder = new Published();
        holder.meters = List.of(
                gauge("mvrefresh.view.staleness", "seconds", view, holder,
                        "Seconds since the view was last known fresh (refreshed, or checked unchanged)",
                        h -> h.values.freshAsOf() == null ? Double.NaN : secondsSince(h.values.freshAsOf())),
                gauge("mvrefresh.view.last.success.timestamp", "seconds", view, holder,
                        "When the view was last refreshed successfully (Unix time)",
                        h -> h.values.lastSuccessAt() == null ? Double.NaN : h.values.lastSuccessAt().toEpochMilli() / 1000.0),
                gauge("mvrefresh.view.interval", "seconds", view, holder,
                        "The view's refresh period: its interval, or its cron schedule's current period",
                        h -> h.values.period().toMillis() / 1000.0),
                gauge("mvrefresh.view.missing", null, view, holder, "1 while a configured view does not exist in PostgreSQL",
                        h -> h.values.missing() ? 1.0 : 0.0));
        return holder;
    }

    private Meter gauge(String metric, String unit, String view, Published holder, String description,
            ToDoubleFunction<Published> value) {
        Gauge.Builder<Published> builder = Gauge.builder(metric, holder, value).description(description).tag("view", view);
        if (unit != null) {
            builder.baseUnit(unit);
        }
        return builder.register(registry);
    }

    private double secondsSince(Instant instant) {
        return Math.max(0, Duration.between(instant, clock.instant()).toMillis() / 1000.0);
    }

    /** Gauges hold this strongly, so their values live as long as they do. */
    private static final class Published {
        volatile Values values = new Values(null, null, Duration.ZERO, false);
        List<Meter> meters = List.of();
    }
}
