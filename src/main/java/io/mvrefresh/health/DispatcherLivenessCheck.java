package io.mvrefresh.health;

import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.scheduling.TickLoop;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * {@code /q/health/live}: the dispatcher loop is still completing ticks. It never looks at
 * PostgreSQL or Redis (restarting the pod would not bring either back): a tick completes, with a
 * failure, when PostgreSQL is down or hangs. A loop that stops completing ticks (a deadlock, a
 * blocked event loop, a lost timer) is what a restart cures.
 */
@Liveness
@ApplicationScoped
public class DispatcherLivenessCheck implements HealthCheck {

    private final TickLoop loop;
    private final Clock clock;
    private final Duration stallAfter;

    public DispatcherLivenessCheck(TickLoop loop, Clock clock, GlobalSettings config) {
        this.loop = loop;
        this.clock = clock;
        this.stallAfter = config.health().livenessTimeout();
    }

    @Override
    public HealthCheckResponse call() {
        Instant lastTick = loop.lastTickCompletedAt();
        if (lastTick == null) {
            // Not started yet: the startup probe covers that phase.
            return HealthCheckResponse.named("mvrefresh-dispatcher")
                    .up()
                    .withData("ticking", false)
                    .build();
        }
        Duration since = Duration.between(lastTick, clock.instant());
        return HealthCheckResponse.named("mvrefresh-dispatcher")
                .status(since.compareTo(stallAfter) <= 0)
                .withData("lastTickCompletedAt", lastTick.toString())
                .withData("secondsSinceLastTick", since.toSeconds())
                .withData("ticks", loop.ticksCompleted())
                .build();
    }
}
