package io.mvrefresh.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The packaged application ({@code target/quarkus-app}) started as its own process, as operators run it. */
public final class PackagedApp implements AutoCloseable {

    private static final Path RUNNER = Path.of("target", "quarkus-app", "quarkus-run.jar");

    private final Process process;
    private final Path log;

    private PackagedApp(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts it against {@code database} with {@code settings} ({@code key=value}). */
    public static PackagedApp start(String database, List<String> settings) throws IOException {
        if (!Files.exists(RUNNER)) {
            throw new IllegalStateException(RUNNER + " is missing: run the integration tests with ./mvnw verify");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Dquarkus.http.port=0");
        command.add("-Dquarkus.management.port=0");
        command.add("-Dquarkus.datasource.reactive.url=" + new Postgres(database).reactiveUrl());
        command.add("-Dquarkus.datasource.username=" + Postgres.USER);
        command.add("-Dquarkus.datasource.password=" + Postgres.PASSWORD);
        settings.forEach(setting -> command.add("-D" + setting));
        command.add("-jar");
        command.add(RUNNER.toString());
        Path log = Files.createTempFile("mvrefresh-app", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new PackagedApp(process, log);
    }

    /** Waits for the process to end by itself; answers its exit code. */
    public int awaitExit(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException("mvrefresh did not exit within " + seconds + " s; output:\n" + output());
        }
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e.getMessage() + ")";
        }
    }

    /** SIGKILL, as the kernel's OOM killer or {@code kill -9} ends a process: nothing runs on the way out. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** Sends SIGTERM, as Kubernetes stops a container, without waiting. */
    public void terminate() {
        process.destroy();
    }

    /** SIGTERM, as Kubernetes stops a container, then waits for the exit. */
    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        Files.deleteIfExists(log);
    }
}
