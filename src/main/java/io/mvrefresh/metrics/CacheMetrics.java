package io.mvrefresh.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.vocabulary.InvalidationStrategy;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Cache invalidation meters: {@code mvrefresh_cache_invalidation_duration_seconds},
 * {@code mvrefresh_cache_keys_invalidated_total}, {@code mvrefresh_cache_invalidation_failures_total},
 * {@code mvrefresh_cache_invalidation_pending}, {@code mvrefresh_cache_invalidation_replica_wait_seconds} and
 * {@code mvrefresh_cache_invalidation_replica_timeouts_total}.
 */
@Startup // the pending gauge must exist from the start, not from the first invalidation
@ApplicationScoped
public class CacheMetrics {

    private final MeterRegistry registry;
    private final AtomicInteger pending = new AtomicInteger();
    // Read at the first invalidation, not at startup: this bean is created before the configuration is checked.
    private final Supplier<Boolean> perViewSetting;
    private volatile Boolean perView;

    @Inject
    public CacheMetrics(MeterRegistry registry, Instance<GlobalSettings> settings) {
        this(registry, () -> settings.get().metrics().perViewHistograms());
    }

    /** {@code perViewSetting}: whether histograms carry the view, asked at the first invalidation. */
    public CacheMetrics(MeterRegistry registry, Supplier<Boolean> perViewSetting) {
        this.registry = registry;
        this.perViewSetting = perViewSetting;
        Gauge.builder("mvrefresh.cache.invalidation.pending", pending, AtomicInteger::get)
                .description("Invalidations waiting for Redis, the one in progress included")
                .register(registry);
    }

    /** How many invalidations are not done yet, the one in progress included. */
    public void pending(int count) {
        pending.set(count);
    }

    /** One strategy of one view's invalidation completed. */
    public void strategyCompleted(String view, InvalidationStrategy strategy, Duration took, long keysRemoved) {
        // Per view only when asked for (mvrefresh.metrics.per-view-histograms): a histogram is
        // about twenty series, per strategy and view that grows with the number of views.
        Timer.builder("mvrefresh.cache.invalidation.duration")
                .description("Time one invalidation strategy of one refresh took")
                .tags(perView() ? Tags.of("view", view, "strategy", strategy.label()) : Tags.of("strategy", strategy.label()))
                .register(registry)
                .record(took);
        Counter.builder("mvrefresh.cache.keys.invalidated")
                .description("Cache keys removed after refreshes")
                .tags("view", view, "strategy", strategy.label())
                .register(registry)
                .increment(keysRemoved);
    }

    private boolean perView() {
        if (perView == null) {
            perView = perViewSetting.get();
        }
        return perView;
    }

    /** An invalidation waited this long for the standbys to replay its refresh. */
    public void replicaWaited(Duration took) {
        Timer.builder("mvrefresh.cache.invalidation.replica.wait")
                .description("Time an invalidation waited for standbys to replay its refresh")
                .register(registry)
                .record(took);
    }

    /** An invalidation stopped waiting for standbys at replica-wait-max and went ahead. */
    public void replicaWaitTimedOut() {
        Counter.builder("mvrefresh.cache.invalidation.replica.timeouts")
                .description("Invalidations that went ahead at replica-wait-max before every standby had replayed the refresh")
                .register(registry)
                .increment();
    }

    /** An invalidation attempt failed (it is retried). */
    public void attemptFailed(String view) {
        Counter.builder("mvrefresh.cache.invalidation.failures")
                .description("Failed invalidation attempts; each is retried")
                .tags("view", view)
                .register(registry)
                .increment();
    }
}
