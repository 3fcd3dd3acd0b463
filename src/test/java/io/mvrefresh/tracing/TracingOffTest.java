package io.mvrefresh.tracing;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.mvrefresh.support.Refreshes.settle;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.mvrefresh.refresh.RefreshExecutor;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.CapturedLog;
import io.mvrefresh.support.CommentedViewsProfile;
import io.mvrefresh.support.InvalidationMessages;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** Without an exporter endpoint tracing is off: nothing is exported, no message carries a traceparent. */
@QuarkusTest
@TestProfile(CommentedViewsProfile.class)
class TracingOffTest {

    private static final CommentedViewsProfile PROFILE = new CommentedViewsProfile();

    @Inject
    Dispatcher dispatcher;

    @Inject
    InMemorySpanExporter spans;

    @Inject
    ReactiveRedisDataSource reactiveRedis;

    @Test
    void shouldExportNothingAndPublishNoTraceparentWithoutAnEndpoint() {
        awaitStartupRefreshes(dispatcher);
        assertThat(ConfigProvider.getConfig().getValue("quarkus.otel.sdk.disabled", Boolean.class)).isTrue();

        JsonNode message;
        try (InvalidationMessages messages = new InvalidationMessages(reactiveRedis, PROFILE.invalidationChannel());
                CapturedLog log = CapturedLog.of(RefreshExecutor.class)) {
            long runId = forceRefresh("public.mv_configured").statusCode(200).extract().jsonPath().getLong("runId");
            message = messages.awaitFor("public.mv_configured", runId);
            settle(dispatcher);
            assertThat(log.lines()).anyMatch(line -> line.contains("#" + runId + " ")).noneMatch(line -> line.contains("trace"));
        }

        assertThat(message.has("traceparent")).as(message.toString()).isFalse();
        assertThat(message.path("keysRemoved").isNumber()).isTrue();
        assertThat(spans.getFinishedSpanItems()).isEmpty();
    }
}
