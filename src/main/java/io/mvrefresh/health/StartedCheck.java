package io.mvrefresh.health;

import io.mvrefresh.lifecycle.Lifecycle;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/** {@code /q/health/started}: configuration valid and the first catalog scan done. */
@Startup
@ApplicationScoped
public class StartedCheck implements HealthCheck {

    private final Lifecycle lifecycle;

    public StartedCheck(Lifecycle lifecycle) {
        this.lifecycle = lifecycle;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("mvrefresh-started").status(lifecycle.started()).build();
    }
}
