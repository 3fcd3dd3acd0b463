package io.mvrefresh.health;

import io.mvrefresh.config.MvRefreshConfig;
import io.mvrefresh.lifecycle.Lifecycle;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * {@code /q/health/ready}: started and not shutting down. As a sidecar mvrefresh's readiness gates
 * the whole pod, so PostgreSQL and Redis reachability are reported as data, not as the status,
 * unless {@code mvrefresh.health.ready-requires-database=true}.
 */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements AsyncHealthCheck {

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

    private final Lifecycle lifecycle;
    private final Pool pool;
    private final ReactiveRedisDataSource redis;
    private final boolean requiresDatabase;

    public ReadinessCheck(Lifecycle lifecycle, Pool pool, ReactiveRedisDataSource redis, MvRefreshConfig config) {
        this.lifecycle = lifecycle;
        this.pool = pool;
        this.redis = redis;
        this.requiresDatabase = config.health().readyRequiresDatabase();
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        Uni<Boolean> database = reachable(pool.query("SELECT 1").execute().replaceWithVoid());
        Uni<Boolean> cache = reachable(redis.execute("PING").replaceWithVoid());
        return Uni.combine().all().unis(database, cache).asTuple().map(reach -> {
            boolean up = lifecycle.started() && !lifecycle.stopping() && (!requiresDatabase || reach.getItem1());
            return HealthCheckResponse.named("mvrefresh-ready")
                    .status(up)
                    .withData("started", lifecycle.started())
                    .withData("stopping", lifecycle.stopping())
                    .withData("postgresql", reach.getItem1() ? "reachable" : "unreachable")
                    .withData("redis", reach.getItem2() ? "reachable" : "unreachable")
                    .build();
        });
    }

    private static Uni<Boolean> reachable(Uni<Void> probe) {
        return probe.replaceWith(true).ifNoItem().after(PROBE_TIMEOUT).fail().onFailure().recoverWithItem(false);
    }
}
