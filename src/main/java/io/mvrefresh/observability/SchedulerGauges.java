package io.mvrefresh.observability;

import io.mvrefresh.metrics.RefreshMetrics;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.scheduling.ViewsKnown;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Registers the scheduler's gauges (in flight, queue depth), read from the dispatcher at scrape
 * time, once the first catalog scan is in: only then is the configuration known valid and the
 * dispatcher running.
 */
@ApplicationScoped
public class SchedulerGauges {

    private final RefreshMetrics metrics;
    private final Dispatcher dispatcher;
    private final AtomicBoolean registered = new AtomicBoolean();

    public SchedulerGauges(RefreshMetrics metrics, Dispatcher dispatcher) {
        this.metrics = metrics;
        this.dispatcher = dispatcher;
    }

    void onViewsKnown(@Observes ViewsKnown known) {
        if (registered.compareAndSet(false, true)) {
            metrics.registerSchedulerGauges(dispatcher::inFlight, dispatcher::queued);
        }
    }
}
