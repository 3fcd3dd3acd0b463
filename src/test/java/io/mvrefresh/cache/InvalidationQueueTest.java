package io.mvrefresh.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.config.InvalidationRules;
import io.mvrefresh.support.ConfigMappings;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InvalidationQueueTest {

    private static final ViewId A = new ViewId("public", "mv_a");
    private static final ViewId B = new ViewId("public", "mv_b");
    private static final ViewId C = new ViewId("public", "mv_c");

    private static InvalidationQueue queueOf(int capacity) {
        io.mvrefresh.config.GlobalSettings config = ConfigMappings.validate(
                Map.of("mvrefresh.invalidation.queue-capacity", Integer.toString(capacity))).global();
        return new InvalidationQueue(config,
                new io.mvrefresh.metrics.CacheMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
                        () -> false));
    }

    private static InvalidationRequest request(ViewId view, long runId) {
        return InvalidationRequest.of(view, runId, Instant.EPOCH, InvalidationRequest.POSITION_UNKNOWN,
                new InvalidationRules(List.of("cache:*"), List.of(), java.util.Optional.empty()));
    }

    @Test
    void shouldKeepOnePerViewTheNewestInTheOldestsPlace() {
        InvalidationQueue queue = queueOf(10);
        queue.offer(request(A, 1));
        queue.offer(request(B, 2));
        queue.offer(request(A, 3));

        assertThat(queue.pending()).isEqualTo(2);
        assertThat(queue.take().runId()).isEqualTo(3);
        assertThat(queue.take().runId()).isEqualTo(2);
    }

    @Test
    void shouldDropTheOldestWhenFull() {
        InvalidationQueue queue = queueOf(2);
        queue.offer(request(A, 1));
        queue.offer(request(B, 2));
        queue.offer(request(C, 3));

        assertThat(queue.pending()).isEqualTo(2);
        assertThat(queue.take().view()).isEqualTo(B);
        assertThat(queue.take().view()).isEqualTo(C);
    }

    @Test
    void shouldRetryAFailedInvalidationAfterTheOthersUnlessANewerOneArrived() {
        InvalidationQueue queue = queueOf(10);
        queue.offer(request(A, 1));
        queue.offer(request(B, 2));

        InvalidationRequest first = queue.take();
        assertThat(queue.pending()).as("the one in flight counts").isEqualTo(2);
        queue.failed(first.failedOnce(5));
        assertThat(queue.take().view()).isEqualTo(B);
        queue.completed();
        InvalidationRequest retried = queue.take();
        assertThat(retried.runId()).isEqualTo(1);
        assertThat(retried.removedSoFar()).isEqualTo(5);

        queue.offer(request(A, 7));
        queue.failed(retried.failedOnce(5));
        assertThat(queue.pending()).isEqualTo(1);
        assertThat(queue.take().runId()).as("superseded while in flight").isEqualTo(7);
    }
}
