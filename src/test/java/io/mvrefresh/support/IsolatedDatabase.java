package io.mvrefresh.support;

import io.mvrefresh.demo.DemoDatabase;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Gives one test class a database of its own: created fresh (dropped first if an earlier run
 * left it), loaded with the demo star schema plus the fixtures the class names, and dropped when
 * the class is done. Args: {@code database}, optional {@code fixtures} (comma-separated names
 * under {@code src/test/resources/fixtures}).
 */
public class IsolatedDatabase implements QuarkusTestResourceLifecycleManager {

    /** The proxy of the running test class, when it asked for one ({@code proxy=true}). */
    private static volatile TcpProxy proxy;
    private static volatile PgBouncerProcess pgBouncer;

    private String database;
    private String[] fixtures = new String[0];
    private boolean viaProxy;
    private boolean viaPgBouncer;
    private String redisPrefix = "";

    @Override
    public void init(Map<String, String> initArgs) {
        database = initArgs.get("database");
        String names = initArgs.getOrDefault("fixtures", "");
        fixtures = names.isBlank() ? new String[0] : names.split(",");
        viaProxy = Boolean.parseBoolean(initArgs.getOrDefault("proxy", "false"));
        viaPgBouncer = Boolean.parseBoolean(initArgs.getOrDefault("pgbouncer", "false"));
        redisPrefix = initArgs.getOrDefault("redis-prefix", "");
    }

    /** The PgBouncer between the application and PostgreSQL, for classes that asked for one. */
    public static PgBouncerProcess pgBouncer() {
        if (pgBouncer == null) {
            throw new IllegalStateException("this test class did not ask for PgBouncer (DatabaseProfile.viaPgBouncer)");
        }
        return pgBouncer;
    }

    /** The TCP proxy between the application and PostgreSQL, for classes that asked for one. */
    public static TcpProxy proxy() {
        if (proxy == null) {
            throw new IllegalStateException("this test class did not ask for a proxy (DatabaseProfile.viaProxy)");
        }
        return proxy;
    }

    @Override
    public Map<String, String> start() {
        Postgres postgres = create(database, Arrays.asList(fixtures));
        if (!redisPrefix.isEmpty()) {
            removeRedisKeys(redisPrefix);
        }
        String url = postgres.reactiveUrl();
        if (viaProxy) {
            try {
                proxy = new TcpProxy(Postgres.HOST, Integer.parseInt(Postgres.PORT));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            url = "postgresql://127.0.0.1:" + proxy.port() + "/" + database;
        }
        if (viaPgBouncer) {
            pgBouncer = PgBouncerProcess.start();
            url = "postgresql://127.0.0.1:" + pgBouncer.port() + "/" + database;
        }
        return Map.of(
                "quarkus.datasource.reactive.url", url,
                "quarkus.datasource.username", Postgres.USER,
                "quarkus.datasource.password", Postgres.PASSWORD);
    }

    @Override
    public void stop() {
        if (pgBouncer != null) {
            pgBouncer.close();
            pgBouncer = null;
        }
        if (proxy != null) {
            proxy.close();
            proxy = null;
        }
        Postgres.dropDatabase(database);
    }

    /** Removes every key under {@code prefix} from the local Redis, with redis-cli (the application is not up yet). */
    public static void removeRedisKeys(String prefix) {
        try {
            Process process = new ProcessBuilder("sh", "-c",
                    "redis-cli -h 127.0.0.1 --scan --pattern \"$0*\" | xargs -r redis-cli -h 127.0.0.1 unlink", prefix)
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (process.waitFor() != 0) {
                throw new IllegalStateException("could not remove Redis keys under " + prefix + ": " + output);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A fresh database with the star schema and the named fixtures. */
    public static Postgres create(String database, java.util.List<String> fixtures) {
        Postgres.recreateDatabase(database);
        Postgres postgres = new Postgres(database);
        postgres.execute(DemoDatabase.readStarSchema());
        fixtures.stream().map(String::trim).filter(name -> !name.isEmpty())
                .forEach(fixture -> postgres.execute(fixture(fixture)));
        return postgres;
    }

    static String fixture(String name) {
        String path = "fixtures/" + name + ".sql";
        try (InputStream in = IsolatedDatabase.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no test fixture " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
