package io.mvrefresh.health;

import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.lifecycle.DependencyProbes;
import io.mvrefresh.lifecycle.Lifecycle;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * {@code /q/health/ready}: started and not shutting down. As a sidecar mvrefresh's readiness gates
 * the whole pod, so PostgreSQL and Redis reachability are reported as data, not as the status,
 * unless {@code mvrefresh.health.ready-requires-database=true}. It answers from state measured in
 * the background ({@link DependencyProbes}) and waits for nothing.
 */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {

    private final Lifecycle lifecycle;
    private final DependencyProbes probes;
    private final boolean requiresDatabase;

    public ReadinessCheck(Lifecycle lifecycle, DependencyProbes probes, GlobalSettings config) {
        this.lifecycle = lifecycle;
        this.probes = probes;
        this.requiresDatabase = config.health().readyRequiresDatabase();
    }

    @Override
    public HealthCheckResponse call() {
        DependencyProbes.Reach database = probes.postgresql();
        DependencyProbes.Reach cache = probes.redis();
        boolean up = lifecycle.started() && !lifecycle.stopping() && (!requiresDatabase || database.reachable());
        HealthCheckResponseBuilder response = HealthCheckResponse.named("mvrefresh-ready")
                .status(up)
                .withData("started", lifecycle.started())
                .withData("stopping", lifecycle.stopping());
        describe(response, "postgresql", database);
        describe(response, "redis", cache);
        return response.build();
    }

    private static void describe(HealthCheckResponseBuilder response, String name, DependencyProbes.Reach reach) {
        response.withData(name, reach.checkedAt() == null ? "unknown" : reach.reachable() ? "reachable" : "unreachable");
        if (reach.since() != null) {
            response.withData(name + "Since", reach.since().toString());
        }
        if (!reach.reachable() && reach.error() != null) {
            response.withData(name + "Error", reach.error());
        }
    }
}
