package io.mvrefresh.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mvrefresh.support.IsolatedDatabase;
import io.mvrefresh.support.OtlpReceiver;
import io.mvrefresh.support.PackagedApp;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.TestRun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * With JSON logs on, every line the process writes is one JSON object, from the first (no JVM
 * warning ahead of it, on the JDK the build runs on) to the last.
 */
class JsonLogsIT {

    private static final String DATABASE = TestRun.database("it_json_logs");
    private static final ObjectMapper JSON = new ObjectMapper();

    @AfterAll
    static void dropDatabase() {
        Postgres.dropDatabase(DATABASE);
    }

    @Test
    void shouldWriteNothingButJsonLinesAndCarryEachRunsFieldsInThem() throws Exception {
        IsolatedDatabase.create(DATABASE, List.of());
        String output;
        try (PackagedApp app = PackagedApp.start(DATABASE, List.of(
                "quarkus.log.console.json.enabled=true",
                "mvrefresh.instance=json-logs-" + TestRun.ID,
                "mvrefresh.defaults.interval=1d"))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> app.output().contains("refreshed"));
            app.terminate();
            assertThat(app.awaitExit(60)).isIn(0, 143);
            output = app.output();
        }

        List<JsonNode> lines = new ArrayList<>();
        for (String line : output.lines().filter(line -> !line.isBlank()).toList()) {
            try {
                lines.add(JSON.readTree(line));
            } catch (Exception e) {
                throw new AssertionError("not a JSON line: " + line + "\nwhole output:\n" + output, e);
            }
        }
        assertThat(lines).isNotEmpty().allMatch(JsonNode::isObject);
        JsonNode refreshed = lines.stream().filter(line -> line.path("message").asText().contains("refreshed")).findFirst()
                .orElseThrow();
        assertThat(refreshed.path("level").asText()).as(refreshed.toString()).isEqualTo("INFO");
        assertThat(refreshed.path("loggerName").asText()).isEqualTo("io.mvrefresh.refresh.RefreshExecutor");
        // The run's id, trigger and view lead the message, in a fixed shape a pipeline can parse.
        assertThat(refreshed.path("message").asText())
                .matches("refresh #\\d+ \\(startup\\) \"public\"\\.\"mv_\\w+\": refreshed .*");
        // No collector configured: tracing is off, and nothing tries to export or complains.
        assertThat(lines).noneMatch(line -> line.path("message").asText().contains("(trace "))
                .noneMatch(line -> line.path("loggerName").asText().startsWith("io.opentelemetry"))
                .noneMatch(line -> line.path("message").asText().toLowerCase(Locale.ROOT).contains("export"));
    }

    @Test
    void shouldExportTracesToTheConfiguredEndpointAndNameEachRunsTraceInItsLine() throws Exception {
        String database = DATABASE + "_traced";
        IsolatedDatabase.create(database, List.of());
        OtlpReceiver receiver = new OtlpReceiver();
        Map<String, String> endpoint = receiver.start();
        String output;
        try (PackagedApp app = PackagedApp.start(database, List.of(
                "quarkus.log.console.json.enabled=true",
                "quarkus.otel.exporter.otlp.traces.endpoint=" + endpoint.get("quarkus.otel.exporter.otlp.traces.endpoint"),
                "quarkus.otel.exporter.otlp.traces.protocol=http/protobuf",
                "quarkus.otel.bsp.schedule.delay=100ms",
                "mvrefresh.instance=json-logs-traced-" + TestRun.ID,
                "mvrefresh.defaults.interval=1d"))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> app.output().contains("refreshed") && OtlpReceiver.requests() > 0);
            app.terminate();
            assertThat(app.awaitExit(60)).isIn(0, 143);
            output = app.output();
        } finally {
            receiver.stop();
            Postgres.dropDatabase(database);
        }

        List<JsonNode> lines = new ArrayList<>();
        for (String line : output.lines().filter(line -> !line.isBlank()).toList()) {
            lines.add(JSON.readTree(line));
        }
        assertThat(lines).filteredOn(line -> line.path("message").asText().contains(": refreshed "))
                .isNotEmpty()
                .allMatch(line -> line.path("message").asText().matches(".* \\(trace [0-9a-f]{32}\\)$"));
        assertThat(lines).as("no export error").noneMatch(line -> line.path("level").asText().matches("WARN|WARNING|ERROR|SEVERE")
                && line.path("loggerName").asText().startsWith("io.opentelemetry"));
    }
}
