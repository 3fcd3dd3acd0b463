package io.mvrefresh.tracing;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.forceRefresh;
import static io.mvrefresh.support.Refreshes.settle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.InvalidationMessages;
import io.mvrefresh.support.OtlpReceiver;
import io.mvrefresh.support.RedisKeys;
import io.mvrefresh.support.TestRun;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With an OTLP endpoint configured, every run is one trace: a root span from queueing to its
 * invalidation, a span per step, the run's facts as attributes, and its traceparent in the pub/sub
 * message.
 */
@QuarkusTest
@TestProfile(TracingTest.Profile.class)
class TracingTest {

    static final String PREFIX = TestRun.redisPrefix("tracing");

    public static class Profile extends DatabaseProfile {

        @Override
        protected String redisPrefix() {
            return PREFIX;
        }

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.views.\"public.mv_commented\".invalidate.patterns", PREFIX + "day:*",
                    // Exported at once, so the test reads the spans without waiting for a batch.
                    "quarkus.otel.bsp.schedule.delay", "10ms");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("comment_settings");
        }

        /** A real endpoint, so tracing is on (the spans are read from the in-memory exporter). */
        @Override
        public List<TestResourceEntry> testResources() {
            List<TestResourceEntry> resources = new ArrayList<>(super.testResources());
            resources.add(new TestResourceEntry(OtlpReceiver.class));
            return resources;
        }
    }

    private static final Profile PROFILE = new Profile();

    @Inject
    Dispatcher dispatcher;

    @Inject
    InMemorySpanExporter spans;

    @Inject
    RedisDataSource redis;

    @Inject
    ReactiveRedisDataSource reactiveRedis;

    private RedisKeys keys;

    @BeforeEach
    void started() {
        awaitStartupRefreshes(dispatcher);
        keys = new RedisKeys(redis, PREFIX);
    }

    @AfterEach
    void removeOwnKeys() {
        keys.removeAll();
    }

    private List<SpanData> trace(String traceId) {
        return spans.getFinishedSpanItems().stream().filter(span -> span.getTraceId().equals(traceId)).toList();
    }

    @Test
    void shouldTraceARunFromItsQueueToItsInvalidationAndCarryItsTraceparent() {
        keys.create("day", 12);
        JsonNode message;
        long runId;
        try (InvalidationMessages messages = new InvalidationMessages(reactiveRedis, PROFILE.invalidationChannel())) {
            JsonPath run = forceRefresh("public.mv_commented").statusCode(200).extract().jsonPath();
            runId = run.getLong("runId");
            message = messages.awaitFor("public.mv_commented", runId);
        }
        settle(dispatcher);

        String traceparent = message.path("traceparent").asText();
        assertThat(traceparent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
        String traceId = traceparent.substring(3, 35);
        String rootId = traceparent.substring(36, 52);
        await().atMost(Duration.ofSeconds(10)).until(() -> trace(traceId).stream().anyMatch(span -> span.getParentSpanContext()
                .getSpanId().equals(rootId) && span.getName().equals("invalidation")) && trace(traceId).stream()
                        .anyMatch(span -> span.getSpanId().equals(rootId)));

        List<SpanData> trace = trace(traceId);
        SpanData root = trace.stream().filter(span -> span.getSpanId().equals(rootId)).findFirst().orElseThrow();
        assertThat(root.getName()).isEqualTo("refresh public.mv_commented");
        assertThat(root.getParentSpanContext().isValid()).as("a trace of its own").isFalse();
        assertThat(root.getAttributes().get(AttributeKey.stringKey("mvrefresh.view"))).isEqualTo("public.mv_commented");
        assertThat(root.getAttributes().get(AttributeKey.longKey("mvrefresh.run_id"))).isEqualTo(runId);
        assertThat(root.getAttributes().get(AttributeKey.stringKey("mvrefresh.trigger"))).isEqualTo("admin");
        assertThat(root.getAttributes().get(AttributeKey.stringKey("mvrefresh.mode"))).isEqualTo("concurrent");
        assertThat(root.getAttributes().get(AttributeKey.stringKey("mvrefresh.outcome"))).isEqualTo("success");
        assertThat(root.getAttributes().get(AttributeKey.longKey("mvrefresh.rows_changed"))).isEqualTo(2L);
        assertThat(root.getAttributes().get(AttributeKey.longKey("mvrefresh.keys_invalidated"))).isEqualTo(12L);

        Map<String, SpanData> steps = trace.stream().filter(span -> span.getParentSpanContext().getSpanId().equals(rootId))
                .collect(Collectors.toMap(SpanData::getName, span -> span, (first, second) -> first));
        assertThat(steps).containsOnlyKeys("queue wait", "lock", "refresh statement", "commit", "replica wait", "invalidation");
        // In the order they ran, each within the run.
        List<String> order = List.of("queue wait", "lock", "refresh statement", "commit", "replica wait", "invalidation");
        for (int i = 1; i < order.size(); i++) {
            assertThat(steps.get(order.get(i)).getStartEpochNanos()).as(order.get(i))
                    .isGreaterThanOrEqualTo(steps.get(order.get(i - 1)).getEndEpochNanos());
        }
        // The PostgreSQL client's own spans, where they nest: the statements sent with the lock attempt.
        assertThat(trace).filteredOn(span -> span.getKind() == SpanKind.CLIENT
                && span.getParentSpanId().equals(steps.get("lock").getSpanId())).isNotEmpty();
        // No client span of the polls and pings around it became a trace of its own: only runs and admin requests.
        assertThat(spans.getFinishedSpanItems()).filteredOn(span -> !span.getParentSpanContext().isValid())
                .allSatisfy(span -> assertThat(span.getName().startsWith("refresh ") || span.getKind() == SpanKind.SERVER)
                        .as(span.getName()).isTrue());
        assertThat(root.getStartEpochNanos()).isLessThanOrEqualTo(steps.get("queue wait").getStartEpochNanos());
        assertThat(root.getEndEpochNanos()).isGreaterThanOrEqualTo(steps.get("invalidation").getEndEpochNanos());
    }

    @Test
    void shouldEndTheTraceOfARunThatOwesNoInvalidationWithTheRun() {
        JsonPath run = forceRefresh("public.mv_configured").statusCode(200).extract().jsonPath();
        settle(dispatcher);

        await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().stream()
                .anyMatch(span -> span.getName().equals("refresh public.mv_configured") && runId(span) == run.getLong("runId")));
        SpanData root = spans.getFinishedSpanItems().stream()
                .filter(span -> span.getName().equals("refresh public.mv_configured") && runId(span) == run.getLong("runId"))
                .findFirst().orElseThrow();
        List<String> steps = trace(root.getTraceId()).stream().filter(span -> span.getParentSpanContext().getSpanId()
                .equals(root.getSpanId())).map(SpanData::getName).toList();
        assertThat(steps).containsExactlyInAnyOrder("queue wait", "lock", "refresh statement", "commit");
    }

    private static long runId(SpanData span) {
        Long id = span.getAttributes().get(AttributeKey.longKey("mvrefresh.run_id"));
        return id == null ? -1 : id;
    }
}
