package io.mvrefresh.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.support.CapturedLog;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PeriodicTaskTest {

    @Test
    void shouldLogAFailureStreakOnceAtWarnAndItsEndOnce() {
        AtomicInteger calls = new AtomicInteger();
        PeriodicTask task = new PeriodicTask("catalog rescan", Duration.ofMinutes(1), () -> calls.incrementAndGet() <= 3
                ? Uni.createFrom().failure(new IllegalStateException("canceling statement due to lock timeout"))
                : Uni.createFrom().voidItem());
        try (CapturedLog log = CapturedLog.of(PeriodicTask.class)) {
            for (int i = 0; i < 5; i++) {
                task.runOnce();
            }

            assertThat(log.warnings()).containsExactly(
                    "WARN catalog rescan failed: canceling statement due to lock timeout. Retrying every 1m; logged again when it works");
            assertThat(log.lines()).filteredOn(line -> line.startsWith("INFO"))
                    .containsExactly("INFO catalog rescan works again after 3 failed attempt(s)");
        }
        assertThat(calls).hasValue(5);
    }

    @Test
    void shouldNeverStackARoundOnOneStillRunning() {
        AtomicInteger started = new AtomicInteger();
        AtomicReference<UniEmitter<? super Void>> running = new AtomicReference<>();
        PeriodicTask task = new PeriodicTask("catalog rescan", Duration.ofMinutes(1), () -> Uni.createFrom().emitter(emitter -> {
            started.incrementAndGet();
            running.set(emitter);
        }));

        task.runOnce();
        task.runOnce();
        task.runOnce();
        assertThat(started).as("rounds started while the first hangs").hasValue(1);

        running.get().complete(null);
        task.runOnce();
        assertThat(started).hasValue(2);
    }
}
