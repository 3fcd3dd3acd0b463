package io.mvrefresh.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis Cluster of the test's own: three primaries from {@code redis-server} on free loopback
 * ports (their cluster bus ports too), slots spread by {@code redis-cli --cluster create}. Keeps
 * nothing on disk. The test may move a slot from one primary to another, key by key, as a
 * resharding does.
 */
public final class RedisClusterProcess implements AutoCloseable {

    private final Path directory;
    private final List<Integer> ports;
    private final List<Process> servers = new ArrayList<>();

    private RedisClusterProcess(Path directory, List<Integer> ports) {
        this.directory = directory;
        this.ports = ports;
    }

    public static RedisClusterProcess start(int primaries) {
        try {
            Path directory = Files.createTempDirectory("mvrefresh-redis-cluster");
            List<ServerSocket> held = new ArrayList<>();
            List<Integer> ports = new ArrayList<>();
            List<Integer> busPorts = new ArrayList<>();
            try {
                for (int i = 0; i < primaries * 2; i++) {
                    ServerSocket socket = new ServerSocket(0);
                    held.add(socket);
                    (i < primaries ? ports : busPorts).add(socket.getLocalPort());
                }
            } finally {
                for (ServerSocket socket : held) {
                    socket.close();
                }
            }
            RedisClusterProcess cluster = new RedisClusterProcess(directory, ports);
            cluster.startServers(busPorts);
            cluster.create();
            return cluster;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code quarkus.redis.hosts}: every primary, as an application would list its seeds. */
    public String hosts() {
        return String.join(",", ports.stream().map(port -> "redis://127.0.0.1:" + port).toList());
    }

    public List<Integer> ports() {
        return ports;
    }

    private void startServers(List<Integer> busPorts) throws IOException {
        for (int i = 0; i < ports.size(); i++) {
            int port = ports.get(i);
            Path node = Files.createDirectories(directory.resolve(Integer.toString(port)));
            servers.add(new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--cluster-enabled", "yes", "--cluster-port", Integer.toString(busPorts.get(i)),
                    "--cluster-config-file", node.resolve("nodes.conf").toString(), "--cluster-node-timeout", "5000",
                    "--dir", node.toString(), "--save", "", "--appendonly", "no"))
                    .redirectErrorStream(true).redirectOutput(node.resolve("redis.log").toFile()).start());
        }
        for (int port : ports) {
            if (!LocalServers.awaitPort(port, true, Duration.ofSeconds(10), () -> true)) {
                throw new IllegalStateException("redis-server did not listen on " + port);
            }
        }
    }

    private void create() {
        List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        ports.forEach(port -> command.add("127.0.0.1:" + port));
        command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        String output = run(command);
        if (!output.contains("All 16384 slots covered")) {
            throw new IllegalStateException("redis-cli --cluster create failed: " + output);
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).alias("the cluster reaching cluster_state:ok")
                .until(() -> ports.stream().allMatch(port -> cli(port, "CLUSTER", "INFO").contains("cluster_state:ok")));
    }

    /** Runs a command on one node; answers redis-cli's output. */
    public String cli(int port, String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        command.addAll(List.of(args));
        return run(command);
    }

    /** The port of the primary that owns {@code slot}. */
    public int ownerOf(int slot) {
        for (int port : ports) {
            String myself = cli(port, "CLUSTER", "MYID");
            for (String line : cli(port, "CLUSTER", "NODES").lines().toList()) {
                String[] fields = line.split(" ");
                if (fields[0].equals(myself) && ownsSlot(fields, slot)) {
                    return port;
                }
            }
        }
        throw new IllegalStateException("no primary owns slot " + slot);
    }

    private static boolean ownsSlot(String[] fields, int slot) {
        for (int i = 8; i < fields.length; i++) {
            if (fields[i].startsWith("[")) {
                continue;
            }
            String[] range = fields[i].split("-");
            int from = Integer.parseInt(range[0]);
            int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
            if (slot >= from && slot <= to) {
                return true;
            }
        }
        return false;
    }

    /** Starts moving {@code slot} to {@code target}: MIGRATING on its owner, IMPORTING on the target. */
    public void beginMigration(int slot, int target) {
        int source = ownerOf(slot);
        String targetId = cli(target, "CLUSTER", "MYID");
        String sourceId = cli(source, "CLUSTER", "MYID");
        expectOk(cli(target, "CLUSTER", "SETSLOT", Integer.toString(slot), "IMPORTING", sourceId));
        expectOk(cli(source, "CLUSTER", "SETSLOT", Integer.toString(slot), "MIGRATING", targetId));
    }

    /** Moves {@code keys} (all in one slot under migration) from {@code source} to {@code target}. */
    public void migrateKeys(int source, int target, List<String> keys) {
        List<String> command = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", Integer.toString(target), "", "0", "5000",
                "KEYS"));
        command.addAll(keys);
        String answer = cli(source, command.toArray(String[]::new));
        if (!answer.equals("OK")) {
            throw new IllegalStateException("MIGRATE failed: " + answer);
        }
    }

    /** Ends a migration: every node learns that {@code target} owns {@code slot}. */
    public void finishMigration(int slot, int target) {
        String targetId = cli(target, "CLUSTER", "MYID");
        for (int port : ports) {
            expectOk(cli(port, "CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", targetId));
        }
    }

    private static void expectOk(String answer) {
        if (!answer.equals("OK")) {
            throw new IllegalStateException("expected OK, got " + answer);
        }
    }

    @Override
    public void close() {
        for (Process server : servers) {
            server.destroy();
        }
        for (Process server : servers) {
            try {
                server.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LocalServers.deleteTree(directory);
    }

    private static String run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes()).trim();
            process.waitFor(60, TimeUnit.SECONDS);
            return output;
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + " could not be run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
