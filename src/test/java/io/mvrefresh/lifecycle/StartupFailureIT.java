package io.mvrefresh.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.support.Postgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Starts the packaged application the way an operator does, with a bad setting, and checks that
 * it refuses to start and says which key and value are wrong.
 */
class StartupFailureIT {

    private static final Path RUNNER = Path.of("target", "quarkus-app", "quarkus-run.jar");

    private record Exit(int code, String output) {
    }

    private static Exit start(String... settings) throws IOException, InterruptedException {
        assertThat(RUNNER).as("package the application first (./mvnw verify)").exists();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Dquarkus.http.port=0");
        command.add("-Dquarkus.management.port=0");
        command.add("-Dquarkus.datasource.reactive.url=postgresql://" + Postgres.HOST + ":" + Postgres.PORT + "/postgres");
        command.add("-Dquarkus.datasource.username=" + Postgres.USER);
        command.add("-Dmvrefresh.schema.manage=false");
        command.addAll(List.of(settings));
        command.add("-jar");
        command.add(RUNNER.toString());
        Path log = Files.createTempFile("mvrefresh-startup", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean exited = process.waitFor(60, TimeUnit.SECONDS);
            assertThat(exited).as("mvrefresh should stop by itself on a bad setting").isTrue();
            return new Exit(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }

    @Test
    void shouldRefuseToStartNamingTheBadKeyAndValue() throws Exception {
        Exit exit = start("-Dmvrefresh.defaults.priority=urgent", "-Dmvrefresh.views.\"public.mv_daily\".cron=not a cron");

        assertThat(exit.code()).isNotZero();
        assertThat(exit.output())
                .contains("Invalid mvrefresh configuration")
                .contains("mvrefresh.defaults.priority=urgent: use one of critical, high, medium, low")
                .contains("mvrefresh.views.\"public.mv_daily\".cron=not a cron");
    }

    @Test
    void shouldRefuseToStartOnAnUnparsableDuration() throws Exception {
        Exit exit = start("-Dmvrefresh.concurrency=two");

        assertThat(exit.code()).isNotZero();
        assertThat(exit.output()).contains("mvrefresh.concurrency").contains("two");
    }
}
