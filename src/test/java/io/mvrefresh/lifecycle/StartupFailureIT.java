package io.mvrefresh.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.support.PackagedApp;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Starts the packaged application the way an operator does, with a bad setting, and checks that
 * it refuses to start and says which key and value are wrong.
 */
class StartupFailureIT {

    @Test
    void shouldRefuseToStartNamingTheBadKeyAndValue() throws Exception {
        try (PackagedApp app = PackagedApp.start("postgres", List.of("mvrefresh.schema.manage=false",
                "mvrefresh.defaults.priority=urgent", "mvrefresh.views.\"public.mv_daily\".cron=not a cron"))) {
            assertThat(app.awaitExit(60)).isNotZero();
            assertThat(app.output())
                    .contains("Invalid mvrefresh configuration")
                    .contains("mvrefresh.defaults.priority=urgent: use one of critical, high, medium, low")
                    .contains("mvrefresh.views.\"public.mv_daily\".cron=not a cron");
        }
    }

    @Test
    void shouldListUnknownKeysBadValuesAndBrokenRulesInOneMessageWithoutAStackTrace() throws Exception {
        try (PackagedApp app = PackagedApp.start("postgres", List.of("mvrefresh.schema.manage=false", "mvrefresh.concurrency=two",
                "mvrefresh.concurency=2", "mvrefresh.defaults.enabled=ture",
                "mvrefresh.views.\"public.mv_feb\".cron=0 0 30 2 *"))) {
            assertThat(app.awaitExit(60)).isEqualTo(1);
            String output = app.output();
            assertThat(output)
                    .contains("mvrefresh.concurrency=two: not a whole number")
                    .contains("mvrefresh.concurency: not a setting of mvrefresh (did you mean mvrefresh.concurrency?)")
                    .contains("mvrefresh.defaults.enabled=ture: write true or false")
                    .contains("mvrefresh.views.\"public.mv_feb\".cron=0 0 30 2 *");
            assertThat(output.split("Invalid mvrefresh configuration", -1)).as("one message").hasSize(2);
            assertThat(output).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception");
            assertThat(output).as("stopped before any port opened: no probe ever reaches it").doesNotContain("Listening on")
                    .doesNotContain("started in");
        }
    }

    @Test
    void shouldLogOneJsonObjectPerLineWhenAsked() throws Exception {
        try (PackagedApp app = PackagedApp.start("postgres", List.of("quarkus.log.console.json.enabled=true",
                "mvrefresh.schema.manage=false", "mvrefresh.defaults.priority=urgent"))) {
            assertThat(app.awaitExit(60)).isEqualTo(1);
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            List<com.fasterxml.jackson.databind.JsonNode> lines = new java.util.ArrayList<>();
            for (String line : app.output().split("\n")) {
                if (line.startsWith("{")) {
                    lines.add(json.readTree(line));
                }
            }
            assertThat(lines).isNotEmpty().anySatisfy(line -> {
                assertThat(line.path("level").asText()).isEqualTo("ERROR");
                assertThat(line.path("message").asText()).contains("mvrefresh.defaults.priority=urgent");
            });
        }
    }
}
