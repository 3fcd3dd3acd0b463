package io.mvrefresh.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private final Backoff backoff = new Backoff(Duration.ofSeconds(5), Duration.ofMinutes(1));

    @Test
    void shouldDoubleFromTheFirstWaitUpToTheMaximum() {
        assertThat(backoff.delay(1, Duration.ofDays(1), 1.0)).isEqualTo(Duration.ofSeconds(5));
        assertThat(backoff.delay(2, Duration.ofDays(1), 1.0)).isEqualTo(Duration.ofSeconds(10));
        assertThat(backoff.delay(4, Duration.ofDays(1), 1.0)).isEqualTo(Duration.ofSeconds(40));
        assertThat(backoff.delay(5, Duration.ofDays(1), 1.0)).isEqualTo(Duration.ofMinutes(1));
        assertThat(backoff.delay(1_000, Duration.ofDays(1), 1.0)).as("no overflow").isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void shouldCapAtTheLowerOfTheCapAndTheMaximumThenApplyTheJitter() {
        assertThat(backoff.delay(3, Duration.ofSeconds(12), 1.0)).isEqualTo(Duration.ofSeconds(12));
        assertThat(backoff.delay(3, Duration.ofSeconds(12), 0.8)).isEqualTo(Duration.ofMillis(9_600));
        assertThat(backoff.delay(1, Duration.ofDays(1), 1.2)).isEqualTo(Duration.ofSeconds(6));
    }

    @Test
    void shouldWaitNothingBeforeTheFirstFailure() {
        assertThat(backoff.delay(0, Duration.ofDays(1), 1.0)).isZero();
    }

    @Test
    void shouldDrawJitterAroundOne() {
        for (int i = 0; i < 1_000; i++) {
            assertThat(Backoff.jitter()).isBetween(Backoff.JITTER_MIN, Backoff.JITTER_MAX);
            assertThat(backoff.delay(1)).isBetween(Duration.ofMillis(4_000), Duration.ofMillis(6_000));
        }
    }

    @Test
    void shouldRefuseAMaximumBelowTheFirstWait() {
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(5), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 < first <= max");
    }
}
