package io.mvrefresh.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} of the test's own on a free loopback port, which the test may stop,
 * start again, or freeze, without disturbing anyone else's Redis. It keeps an append-only file
 * in a temporary directory, so keys written before a stop are there again after the restart, and
 * requires a password, as production servers do.
 */
public final class RedisProcess implements AutoCloseable {

    public static final String PASSWORD = "mvrefresh-test-secret";

    private final Path directory;
    private final int port;
    private Process process;

    private RedisProcess(Path directory, int port) {
        this.directory = directory;
        this.port = port;
    }

    /** A new server on a free port, started. */
    public static RedisProcess start() {
        try {
            Path directory = Files.createTempDirectory("mvrefresh-redis");
            int port = LocalServers.freePort();
            RedisProcess redis = new RedisProcess(directory, port);
            redis.startServer();
            return redis;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return port;
    }

    /** {@code quarkus.redis.hosts} for this server. */
    public String hosts() {
        return "redis://:" + PASSWORD + "@127.0.0.1:" + port;
    }

    /** Starts (or restarts) the server on the same port and data directory. */
    public synchronized void startServer() {
        try {
            process = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--dir", directory.toString(), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                    "--requirepass", PASSWORD))
                    .redirectErrorStream(true).redirectOutput(directory.resolve("redis.log").toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException(
                    "redis-server could not be started (is it installed? scripts/local-services.sh installs it)", e);
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

    /** Freezes the server (SIGSTOP): connections stay open and nothing is answered, as a hung server. */
    public synchronized void freeze() {
        signal("-STOP");
    }

    /** Lets a frozen server go on (SIGCONT). */
    public synchronized void thaw() {
        signal("-CONT");
    }

    private void signal(String signal) {
        try {
            int exit = new ProcessBuilder("kill", signal, Long.toString(process.pid())).start().waitFor();
            if (exit != 0) {
                throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs a redis-cli command against this server; answers its output. */
    public String cli(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port),
                "-a", PASSWORD, "--no-auth-warning"));
        command.addAll(List.of(args));
        try {
            Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(cli.getInputStream().readAllBytes()).trim();
            cli.waitFor(10, TimeUnit.SECONDS);
            return output;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            thaw();
            stopServer();
        }
        LocalServers.deleteTree(directory);
    }

    private void awaitPort(boolean open) {
        if (!LocalServers.awaitPort(port, open, Duration.ofSeconds(10), () -> true)) {
            throw new IllegalStateException("redis-server on port " + port + " did not " + (open ? "start" : "stop"));
        }
    }
}
