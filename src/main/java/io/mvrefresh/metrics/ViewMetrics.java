package io.mvrefresh.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The per-view gauges. The scheduler publishes a view's values when they change; a scrape reads
 * them (staleness and lag against the clock) without asking the scheduler anything.
 *
 * <p>Cardinality is kept to about six series per view: staleness, last success, last fresh, last
 * refresh duration, lag (views whose changes can be detected) and either the schedule's period or
 * the freshness target. The states that are the exception exist only while they hold:
 * {@code mvrefresh_view_paused 1} while paused, {@code mvrefresh_view_enabled 0} while disabled,
 * {@code mvrefresh_view_missing 1} while missing, {@code mvrefresh_view_consecutive_failures} while
 * its refreshes fail. Alerts filter with {@code unless}.
 */
@ApplicationScoped
public class ViewMetrics {

    /**
     * One view's values as last published.
     *
     * @param period the schedule's period; empty for a view refreshed on changes alone
     * @param target the freshness target ({@code max-staleness}); empty when none
     * @param watchable whether changes to what the view reads can be detected (lag is exported)
     * @param changedSince the first change not refreshed yet, when one is known
     */
    public record Values(Instant freshAsOf, Instant lastSuccessAt, Duration lastRefreshDuration, Optional<Duration> period,
            Optional<Duration> target, boolean watchable, Instant changedSince, boolean paused, boolean enabled, boolean missing,
            int consecutiveFailures) {
    }

    private enum Series {
        STALENESS, LAST_SUCCESS, LAST_FRESH, LAST_DURATION, PERIOD, TARGET, LAG, PAUSED, ENABLED, MISSING, FAILURES
    }

    private final MeterRegistry registry;
    private final Clock clock;
    private final Map<String, Published> published = new ConcurrentHashMap<>();

    public ViewMetrics(MeterRegistry registry, Clock clock) {
        this.registry = registry;
        this.clock = clock;
    }

    /** Publishes {@code view}'s current values, registering or removing its gauges as they apply. */
    public void publish(String view, Values values) {
        Published holder = published.computeIfAbsent(view, key -> new Published());
        synchronized (holder) {
            holder.values = values;
            show(holder, view, Series.STALENESS, true);
            show(holder, view, Series.LAST_SUCCESS, true);
            show(holder, view, Series.LAST_FRESH, true);
            show(holder, view, Series.LAST_DURATION, values.lastRefreshDuration() != null);
            show(holder, view, Series.PERIOD, values.period().isPresent());
            show(holder, view, Series.TARGET, values.target().isPresent());
            show(holder, view, Series.LAG, values.watchable());
            show(holder, view, Series.PAUSED, values.paused());
            show(holder, view, Series.ENABLED, !values.enabled());
            show(holder, view, Series.MISSING, values.missing());
            show(holder, view, Series.FAILURES, values.consecutiveFailures() > 0);
        }
    }

    /** Removes the gauges of every view not in {@code known}. */
    public void retainOnly(Set<String> known) {
        published.entrySet().removeIf(entry -> {
            if (known.contains(entry.getKey())) {
                return false;
            }
            synchronized (entry.getValue()) {
                entry.getValue().meters.values().forEach(registry::remove);
                entry.getValue().meters.clear();
            }
            return true;
        });
    }

    private void show(Published holder, String view, Series series, boolean present) {
        Meter meter = holder.meters.get(series);
        if (present && meter == null) {
            holder.meters.put(series, register(holder, view, series));
        } else if (!present && meter != null) {
            registry.remove(meter);
            holder.meters.remove(series);
        }
    }

    private Meter register(Published holder, String view, Series series) {
        return switch (series) {
            case STALENESS -> gauge("mvrefresh.view.staleness", "seconds", view, holder,
                    "Seconds since the view was last known fresh (refreshed, or checked unchanged)",
                    h -> h.values.freshAsOf() == null ? Double.NaN : secondsSince(h.values.freshAsOf()));
            case LAST_SUCCESS -> gauge("mvrefresh.view.last.success.timestamp", "seconds", view, holder,
                    "When the view was last refreshed successfully (Unix time)", h -> epochSeconds(h.values.lastSuccessAt()));
            case LAST_FRESH -> gauge("mvrefresh.view.last.fresh.timestamp", "seconds", view, holder,
                    "When the view was last known fresh: a successful refresh, or a check that found nothing changed (Unix time)",
                    h -> epochSeconds(h.values.freshAsOf()));
            case LAST_DURATION -> gauge("mvrefresh.view.last.refresh.duration", "seconds", view, holder,
                    "How long the view's last successful refresh took",
                    h -> h.values.lastRefreshDuration() == null ? Double.NaN : h.values.lastRefreshDuration().toMillis() / 1000.0);
            case PERIOD -> gauge("mvrefresh.view.interval", "seconds", view, holder,
                    "The view's refresh period: its interval, or its cron schedule's current period",
                    h -> h.values.period().map(period -> period.toMillis() / 1000.0).orElse(Double.NaN));
            case TARGET -> gauge("mvrefresh.view.freshness.target", "seconds", view, holder,
                    "The view's freshness target (max-staleness): how far it may lag its base tables",
                    h -> h.values.target().map(target -> target.toMillis() / 1000.0).orElse(Double.NaN));
            case LAG -> gauge("mvrefresh.view.lag", "seconds", view, holder,
                    "How far the view lags its base tables as far as mvrefresh can see: time since the first change not refreshed yet",
                    h -> h.values.changedSince() == null ? 0.0 : secondsSince(h.values.changedSince()));
            case PAUSED -> gauge("mvrefresh.view.paused", null, view, holder, "1 while the view is paused (absent otherwise)", h -> 1.0);
            case ENABLED -> gauge("mvrefresh.view.enabled", null, view, holder, "0 while the view is disabled (absent otherwise)", h -> 0.0);
            case MISSING -> gauge("mvrefresh.view.missing", null, view, holder,
                    "1 while a configured view does not exist in PostgreSQL (absent otherwise)", h -> 1.0);
            case FAILURES -> gauge("mvrefresh.view.consecutive.failures", null, view, holder,
                    "Refreshes of the view that failed in a row, while it is failing (absent otherwise)",
                    h -> h.values.consecutiveFailures());
        };
    }

    private Meter gauge(String metric, String unit, String view, Published holder, String description,
            ToDoubleFunction<Published> value) {
        Gauge.Builder<Published> builder = Gauge.builder(metric, holder, value).description(description).tag("view", view)
                .strongReference(true);
        if (unit != null) {
            builder.baseUnit(unit);
        }
        return builder.register(registry);
    }

    private static double epochSeconds(Instant instant) {
        return instant == null ? Double.NaN : instant.toEpochMilli() / 1000.0;
    }

    private double secondsSince(Instant instant) {
        return Math.max(0, Duration.between(instant, clock.instant()).toMillis() / 1000.0);
    }

    /** One view's values and the gauges registered for it. */
    private static final class Published {
        volatile Values values;
        final Map<Series, Meter> meters = new EnumMap<>(Series.class);
    }
}
