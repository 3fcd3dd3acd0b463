package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LearnedDurationsTest {

    @Test
    void shouldExpectTheNinetiethPercentileOfTheRecentRefreshes() {
        LearnedDurations durations = new LearnedDurations();
        assertThat(durations.expected()).isNull();

        for (int seconds = 1; seconds <= 10; seconds++) {
            durations.learned(Duration.ofSeconds(seconds));
        }
        assertThat(durations.expected()).isEqualTo(Duration.ofSeconds(9));
    }

    @Test
    void shouldForgetRefreshesOlderThanTheLastTwenty() {
        LearnedDurations durations = new LearnedDurations();
        for (int i = 0; i < LearnedDurations.KEPT; i++) {
            durations.learned(Duration.ofMinutes(10));
        }
        for (int i = 0; i < LearnedDurations.KEPT; i++) {
            durations.learned(Duration.ofSeconds(1));
        }
        assertThat(durations.expected()).isEqualTo(Duration.ofSeconds(1));
    }
}
