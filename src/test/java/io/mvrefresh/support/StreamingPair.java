package io.mvrefresh.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL primary and a streaming standby of the test's own ({@code initdb}, then
 * {@code pg_basebackup -R}), on free loopback ports in a temporary directory, from the PostgreSQL
 * installed on the machine. The test may pause and resume the standby's replay, as a busy or
 * delayed standby would lag. Run as {@code postgres} when the test runs as root (initdb refuses root).
 */
public final class StreamingPair implements AutoCloseable {

    private final Path directory;
    private final Path bin;
    private final int primaryPort;
    private final int standbyPort;
    private final String standbyName;

    private StreamingPair(Path directory, Path bin, int primaryPort, int standbyPort, String standbyName) {
        this.directory = directory;
        this.bin = bin;
        this.primaryPort = primaryPort;
        this.standbyPort = standbyPort;
        this.standbyName = standbyName;
    }

    /**
     * A primary (with {@code wal_level=logical}, so a test can also attach a logical-replication
     * client) and one standby streaming from it under {@code application_name = standbyName}.
     */
    public static StreamingPair start(String standbyName) {
        try {
            Path directory = Files.createTempDirectory("mvrefresh-pg-pair");
            StreamingPair pair = new StreamingPair(directory, binaries(), LocalServers.freePort(), LocalServers.freePort(),
                    standbyName);
            pair.startBoth();
            return pair;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String host() {
        return "127.0.0.1";
    }

    public int primaryPort() {
        return primaryPort;
    }

    public int standbyPort() {
        return standbyPort;
    }

    /** The primary's database {@code name}. */
    public Postgres primary(String database) {
        return new Postgres(host(), Integer.toString(primaryPort), database);
    }

    /** The standby's database {@code name} (read-only). */
    public Postgres standby(String database) {
        return new Postgres(host(), Integer.toString(standbyPort), database);
    }

    /** The standby stops applying WAL (it keeps receiving it): its reads show the past. */
    public void pauseReplay() {
        standby("postgres").execute("SELECT pg_wal_replay_pause()");
    }

    public void resumeReplay() {
        standby("postgres").execute("SELECT pg_wal_replay_resume()");
    }

    /** Runs a PostgreSQL client program of the installed version (e.g. pg_recvlogical) as the server's user. */
    public Process spawn(List<String> command, Path log) throws IOException {
        List<String> full = new ArrayList<>(asServerUser());
        full.add(bin.resolve(command.getFirst()).toString());
        full.addAll(command.subList(1, command.size()));
        return new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    public Path directory() {
        return directory;
    }

    private void startBoth() {
        Path primary = directory.resolve("primary");
        Path standby = directory.resolve("standby");
        run("initdb", "-D", primary.toString(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        append(primary.resolve("postgresql.conf"), List.of(
                "port = " + primaryPort,
                "listen_addresses = '127.0.0.1'",
                "unix_socket_directories = '" + directory + "'",
                "wal_level = logical",
                "max_wal_senders = 10",
                "max_replication_slots = 10",
                "fsync = off",
                "synchronous_commit = on",
                "full_page_writes = off"));
        run("pg_ctl", "-D", primary.toString(), "-l", directory.resolve("primary.log").toString(), "-w", "-t", "60", "start");
        run("pg_basebackup", "-h", host(), "-p", Integer.toString(primaryPort), "-U", "postgres", "-D", standby.toString(),
                "-R", "-X", "stream", "--no-sync");
        append(standby.resolve("postgresql.auto.conf"), List.of(
                "port = " + standbyPort,
                "primary_conninfo = 'host=127.0.0.1 port=" + primaryPort + " user=postgres application_name=" + standbyName
                        + "'",
                "hot_standby = on",
                // Replay positions reach the primary only when the standby is asked to report them
                // (or receives WAL), never on a timer: what mvrefresh sees of replay is what it asked for.
                "wal_receiver_status_interval = 0"));
        run("pg_ctl", "-D", standby.toString(), "-l", directory.resolve("standby.log").toString(), "-w", "-t", "60", "start");
    }

    @Override
    public void close() {
        for (String node : List.of("standby", "primary")) {
            if (Files.isDirectory(directory.resolve(node))) {
                try {
                    run("pg_ctl", "-D", directory.resolve(node).toString(), "-m", "immediate", "-w", "stop");
                } catch (IllegalStateException stoppedAlready) {
                    // Nothing to stop.
                }
            }
        }
        LocalServers.deleteTree(directory);
    }

    private void run(String program, String... args) {
        List<String> command = new ArrayList<>(asServerUser());
        command.add(bin.resolve(program).toString());
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException(program + " could not be run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private List<String> asServerUser() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return List.of();
        }
        try {
            // The server's files must belong to the user it runs as.
            new ProcessBuilder("chown", "-R", "postgres:postgres", directory.toString()).start().waitFor();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return List.of("runuser", "-u", "postgres", "--");
    }

    private static void append(Path file, List<String> lines) {
        try {
            Files.write(file, lines, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The newest installed PostgreSQL's programs (Debian keeps initdb and pg_ctl out of PATH). */
    private static Path binaries() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException("no PostgreSQL under /usr/lib/postgresql (scripts/local-services.sh installs it)");
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.filter(path -> Files.isExecutable(path.resolve("bin/initdb")))
                    .max(Comparator.comparingInt(path -> Integer.parseInt(path.getFileName().toString().replaceAll("\\D", ""))))
                    .map(path -> path.resolve("bin"))
                    .orElseThrow(() -> new IllegalStateException("no initdb under /usr/lib/postgresql/*/bin"));
        }
    }

}
