package io.mvrefresh.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A {@code redis-server} of the test's own on a free loopback port, which the test may stop and
 * start again without disturbing anyone else's Redis. It keeps an append-only file in a temporary
 * directory, so keys written before a stop are there again after the restart, and requires a
 * password, as production servers do.
 */
public class OwnRedisServer implements QuarkusTestResourceLifecycleManager {

    static final String PASSWORD = "mvrefresh-test-secret";

    private static volatile OwnRedisServer current;

    private Path directory;
    private int port;
    private Process process;

    /** The server of the running test class. */
    public static OwnRedisServer current() {
        return current;
    }

    @Override
    public Map<String, String> start() {
        try {
            directory = Files.createTempDirectory("mvrefresh-redis");
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        current = this;
        startServer();
        return Map.of("quarkus.redis.hosts", "redis://:" + PASSWORD + "@127.0.0.1:" + port);
    }

    /** Starts (or restarts) the server on the same port and data directory. */
    public synchronized void startServer() {
        try {
            process = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--dir", directory.toString(), "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--requirepass", PASSWORD))
                    .redirectErrorStream(true).redirectOutput(directory.resolve("redis.log").toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server could not be started (is it installed? scripts/local-services.sh installs it)", e);
        }
        awaitPort(true);
    }

    /** Stops the server as an outage would: connections drop, nothing answers. */
    public synchronized void stopServer() {
        process.destroy();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        awaitPort(false);
    }

    @Override
    public void stop() {
        if (process != null && process.isAlive()) {
            stopServer();
        }
        current = null;
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // A temporary directory left behind is harmless.
        }
    }

    private void awaitPort(boolean open) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            boolean accepting;
            try (Socket socket = new Socket("127.0.0.1", port)) {
                accepting = true;
            } catch (IOException e) {
                accepting = false;
            }
            if (accepting == open) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new IllegalStateException("redis-server on port " + port + " did not " + (open ? "start" : "stop"));
    }
}
