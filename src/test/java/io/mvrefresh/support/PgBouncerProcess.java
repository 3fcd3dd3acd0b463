package io.mvrefresh.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code pgbouncer} in session pooling mode on a free loopback port, in front of the
 * shared PostgreSQL, as many applications reach their database. Run as {@code postgres} when the
 * test runs as root (PgBouncer refuses root).
 */
public final class PgBouncerProcess implements AutoCloseable {

    private final Path directory;
    private final int port;
    private final Process process;

    private PgBouncerProcess(Path directory, int port, Process process) {
        this.directory = directory;
        this.port = port;
        this.process = process;
    }

    public static PgBouncerProcess start() {
        try {
            Path directory = Files.createTempDirectory("mvrefresh-pgbouncer");
            int port = LocalServers.freePort();
            Files.writeString(directory.resolve("users.txt"), "\"" + Postgres.USER + "\" \"\"\n");
            Files.writeString(directory.resolve("pgbouncer.ini"), String.join("\n",
                    "[databases]",
                    "* = host=" + Postgres.HOST + " port=" + Postgres.PORT,
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    "listen_port = " + port,
                    "unix_socket_dir =",
                    "auth_type = trust",
                    "auth_file = " + directory.resolve("users.txt"),
                    "pool_mode = session",
                    "admin_users = " + Postgres.USER,
                    "server_reset_query = DISCARD ALL",
                    // Sent by the reactive client at startup, and not tracked by PgBouncer before 1.20.
                    "ignore_startup_parameters = extra_float_digits,IntervalStyle",
                    "max_client_conn = 200",
                    "default_pool_size = 50",
                    "logfile = " + directory.resolve("pgbouncer.log"),
                    "") + "\n");
            List<String> command = new ArrayList<>();
            if ("root".equals(System.getProperty("user.name"))) {
                new ProcessBuilder("chown", "-R", "postgres:postgres", directory.toString()).start().waitFor();
                command.addAll(List.of("runuser", "-u", "postgres", "--"));
            }
            command.addAll(List.of(executable(), directory.resolve("pgbouncer.ini").toString()));
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(directory.resolve("stdout.log").toFile()).start();
            PgBouncerProcess bouncer = new PgBouncerProcess(directory, port, process);
            if (!LocalServers.awaitPort(port, true, Duration.ofSeconds(20), process::isAlive)) {
                throw new IllegalStateException("pgbouncer did not listen on " + port + ": " + bouncer.log());
            }
            return bouncer;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return port;
    }

    /**
     * The {@code application_name} of every client connected now, from the admin console's
     * {@code SHOW CLIENTS} (through psql: the console speaks only the simple protocol, and the
     * JDBC driver sends statements it refuses).
     */
    public List<String> clientNames() {
        try {
            Process psql = new ProcessBuilder("psql", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", Postgres.USER,
                    "-d", "pgbouncer", "-A", "-F", "\t", "-c", "SHOW CLIENTS").redirectErrorStream(true).start();
            List<String> lines = new String(psql.getInputStream().readAllBytes()).lines().toList();
            if (psql.waitFor() != 0 || lines.isEmpty()) {
                throw new IllegalStateException("SHOW CLIENTS failed: " + lines);
            }
            int column = List.of(lines.getFirst().split("\t")).indexOf("application_name");
            return lines.stream().skip(1).map(line -> line.split("\t", -1)).filter(cells -> cells.length > column)
                    .map(cells -> cells[column]).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String executable() {
        for (String candidate : List.of("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new IllegalStateException("pgbouncer is not installed (scripts/local-services.sh installs it)");
    }

    private String log() throws IOException {
        Path log = directory.resolve("pgbouncer.log");
        return Files.exists(log) ? Files.readString(log) : Files.readString(directory.resolve("stdout.log"));
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LocalServers.deleteTree(directory);
    }
}
