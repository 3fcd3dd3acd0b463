package io.mvrefresh.demo;

import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.lifecycle.StartupParticipant;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The demo {@code ./mvnw quarkus:dev} runs against: creates the configured database when absent,
 * the star schema in it, and keeps adding facts (and demo cache keys in Redis) so refreshes and
 * invalidations have something to do. Only used when {@code mvrefresh.demo.enabled=true}.
 */
@ApplicationScoped
public class DemoDatabase implements StartupParticipant {

    /** The schema and views, shared with the tests that model the same star schema. */
    public static final String STAR_SCHEMA_RESOURCE = "demo/star-schema.sql";

    private static final String TRICKLE = """
            INSERT INTO metric_facts (metric_id, observed_at, value)
            SELECT metric_id, now(), round((random() * 100)::numeric, 2)
            FROM brand_metrics ORDER BY random() LIMIT $1
            """;

    private final Pool pool;
    private final ReactiveRedisDataSource redis;
    private final Vertx vertx;
    private final String url;
    private final Optional<String> username;
    private final Optional<String> password;
    private final Instance<GlobalSettings> settings;

    public DemoDatabase(Pool pool, ReactiveRedisDataSource redis, Vertx vertx, Instance<GlobalSettings> settings,
            @ConfigProperty(name = "quarkus.datasource.reactive.url") String url,
            @ConfigProperty(name = "quarkus.datasource.username") Optional<String> username,
            @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
        this.pool = pool;
        this.redis = redis;
        this.vertx = vertx;
        this.url = url;
        this.username = username;
        this.password = password;
        this.settings = settings;
    }

    private boolean enabled() {
        return settings.get().demo().enabled();
    }

    @Override
    public Uni<Void> beforeFirstScan() {
        return enabled() ? prepare() : Uni.createFrom().voidItem();
    }

    @Override
    public Optional<Periodic> periodic() {
        return enabled()
                ? Optional.of(new Periodic("demo data", settings.get().demo().trickleInterval(), this::trickle))
                : Optional.empty();
    }

    /** Creates the database and the star schema where missing. */
    public Uni<Void> prepare() {
        return createDatabaseIfAbsent()
                .flatMap(ignored -> pool.query(readStarSchema()).execute())
                .invoke(() -> Log.info(
                        "demo: star schema ready (metric_facts, brand_metrics, brand_sentiment and five materialized views)"))
                .replaceWithVoid();
    }

    /** One batch of new facts, plus cache entries the views' invalidation rules will remove. */
    public Uni<Void> trickle() {
        int facts = ThreadLocalRandom.current().nextInt(5, 25);
        Uni<Void> cached = redis.value(String.class)
                .mset(Map.of(
                        "demo:brand-daily:acme", "cached",
                        "demo:brand-daily:globex", "cached",
                        "demo:rankings:revenue", "cached"));
        return pool.preparedQuery(TRICKLE).execute(Tuple.of(facts)).replaceWithVoid()
                .flatMap(ignored -> cached.onFailure().recoverWithNull().replaceWithVoid());
    }

    public static String readStarSchema() {
        try (InputStream in = DemoDatabase.class.getClassLoader().getResourceAsStream(STAR_SCHEMA_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(STAR_SCHEMA_RESOURCE + " is missing from the application");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Uni<Void> createDatabaseIfAbsent() {
        PgConnectOptions target = PgConnectOptions
                .fromUri(url.startsWith("vertx-reactive:") ? url.substring("vertx-reactive:".length()) : url);
        username.ifPresent(target::setUser);
        password.ifPresent(target::setPassword);
        String database = target.getDatabase();
        PgConnectOptions maintenance = new PgConnectOptions(target).setDatabase("postgres");
        return PgConnection.connect(vertx, maintenance).flatMap(conn -> conn
                .preparedQuery("SELECT 1 FROM pg_database WHERE datname = $1").execute(Tuple.of(database))
                .flatMap(rows -> rows.size() > 0
                        ? Uni.createFrom().voidItem()
                        : conn.query("CREATE DATABASE " + ViewId.quoteIdentifier(database)).execute()
                                .invoke(() -> Log.infof("demo: created database %s", database)).replaceWithVoid())
                .eventually(conn::close));
    }
}
