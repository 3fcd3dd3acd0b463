package io.mvrefresh.observability;

import io.mvrefresh.config.MvRefreshConfig;
import io.mvrefresh.scheduling.Dispatcher;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * {@code /q/health/live}: the dispatcher loop is still ticking. It never looks at PostgreSQL or
 * Redis: restarting the pod would not bring either back.
 */
@Liveness
@ApplicationScoped
public class DispatcherLivenessCheck implements HealthCheck {

    private static final Duration MINIMUM_STALL = Duration.ofSeconds(30);

    private final Dispatcher dispatcher;
    private final Clock clock;
    private final Duration stallAfter;

    public DispatcherLivenessCheck(Dispatcher dispatcher, Clock clock, MvRefreshConfig config) {
        this.dispatcher = dispatcher;
        this.clock = clock;
        Duration tenPolls = config.scheduler().pollInterval().multipliedBy(10);
        this.stallAfter = tenPolls.compareTo(MINIMUM_STALL) > 0 ? tenPolls : MINIMUM_STALL;
    }

    @Override
    public HealthCheckResponse call() {
        Instant lastTick = dispatcher.lastTickAt();
        if (lastTick == null) {
            // Not started yet: the startup probe covers that phase.
            return HealthCheckResponse.named("mvrefresh-dispatcher").up().withData("ticking", false).build();
        }
        Duration since = Duration.between(lastTick, clock.instant());
        return HealthCheckResponse.named("mvrefresh-dispatcher")
                .status(since.compareTo(stallAfter) <= 0)
                .withData("lastTickAt", lastTick.toString())
                .withData("secondsSinceLastTick", since.toSeconds())
                .build();
    }
}
