package io.mvrefresh.support;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.Cancellable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Listens on mvrefresh's invalidation channel the way an application would. */
public final class InvalidationMessages implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private final Cancellable subscription;

    /** Subscribes; {@code onMessage} runs on a worker thread (it may block), before the message is listed. */
    public InvalidationMessages(ReactiveRedisDataSource redis, String channel, Consumer<JsonNode> onMessage) {
        subscription = redis.pubsub(String.class).subscribe(channel)
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .subscribe().with(text -> {
                    try {
                        JsonNode message = JSON.readTree(text);
                        onMessage.accept(message);
                        received.add(message);
                    } catch (Exception e) {
                        throw new IllegalStateException("not a JSON message: " + text, e);
                    }
                });
    }

    public InvalidationMessages(ReactiveRedisDataSource redis, String channel) {
        this(redis, channel, message -> {});
    }

    public List<JsonNode> received() {
        return received;
    }

    /** Waits for the message about {@code view}'s run {@code runId}. */
    public JsonNode awaitFor(String view, long runId) {
        await().atMost(Duration.ofSeconds(20)).until(() -> find(view, runId) != null);
        return find(view, runId);
    }

    /** Waits for a message about {@code view} (any run). */
    public JsonNode awaitAnyFor(String view) {
        await().atMost(Duration.ofSeconds(20)).until(() -> received.stream().anyMatch(m -> view.equals(m.path("view").asText())));
        return received.stream().filter(m -> view.equals(m.path("view").asText())).reduce((first, last) -> last).orElseThrow();
    }

    private JsonNode find(String view, long runId) {
        return received.stream()
                .filter(m -> view.equals(m.path("view").asText()) && m.path("runId").asLong() == runId)
                .findFirst().orElse(null);
    }

    @Override
    public void close() {
        subscription.cancel();
    }
}
