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
    void shouldRefuseToStartOnAnUnparsableValue() throws Exception {
        try (PackagedApp app = PackagedApp.start("postgres", List.of("mvrefresh.schema.manage=false", "mvrefresh.concurrency=two"))) {
            assertThat(app.awaitExit(60)).isNotZero();
            assertThat(app.output()).contains("mvrefresh.concurrency").contains("two");
        }
    }
}
