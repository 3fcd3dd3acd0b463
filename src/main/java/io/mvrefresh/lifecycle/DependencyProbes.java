package io.mvrefresh.lifecycle;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Whether PostgreSQL and Redis answer, measured in the background every {@link #EVERY}: health
 * checks only read the last result, so a probe answers in milliseconds whatever either server
 * does (a Kubernetes probe times out after one second by default, and a sidecar's failed
 * readiness takes the whole pod out of service).
 */
@ApplicationScoped
public class DependencyProbes {

    static final Duration EVERY = Duration.ofSeconds(5);
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    /** One dependency's state as last measured; {@code since} is when it last changed. */
    public record Reach(boolean reachable, Instant checkedAt, Instant since, String error) {

        static final Reach UNKNOWN = new Reach(false, null, null, "not checked yet");
    }

    private final Pool pool;
    private final ReactiveRedisDataSource redis;
    private final Clock clock;
    private volatile Reach postgresql = Reach.UNKNOWN;
    private volatile Reach redisReach = Reach.UNKNOWN;

    public DependencyProbes(Pool pool, ReactiveRedisDataSource redis, Clock clock) {
        this.pool = pool;
        this.redis = redis;
        this.clock = clock;
    }

    public Reach postgresql() {
        return postgresql;
    }

    public Reach redis() {
        return redisReach;
    }

    /** Measures both once; never fails. */
    Uni<Void> probe() {
        Uni<Reach> database = measure(pool.query("SELECT 1").execute().replaceWithVoid(), postgresql);
        Uni<Reach> cache = measure(redis.execute("PING").replaceWithVoid(), redisReach);
        return Uni.combine().all().unis(database, cache).with((pg, rd) -> {
            postgresql = pg;
            redisReach = rd;
            return null;
        });
    }

    private Uni<Reach> measure(Uni<Void> check, Reach previous) {
        return check.ifNoItem().after(TIMEOUT).fail()
                .map(ignored -> reach(true, null, previous))
                .onFailure().recoverWithItem(failure -> reach(false,
                        failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage(), previous));
    }

    private Reach reach(boolean reachable, String error, Reach previous) {
        Instant now = clock.instant();
        Instant since = previous.since() != null && previous.reachable() == reachable ? previous.since() : now;
        return new Reach(reachable, now, since, error);
    }
}
