package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.vocabulary.Trigger;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PendingChangeTest {

    private static final Instant T0 = Instant.parse("2026-03-02T08:00:00Z");

    @Test
    void shouldKeepTheFirstChangeAndTheStrongestTrigger() {
        PendingChange pending = PendingChange.NONE.changed(T0.plusSeconds(5), Trigger.SCHEDULE, false, false)
                .changed(T0, Trigger.DEPENDENCY, false, false).changed(T0.plusSeconds(9), Trigger.SCHEDULE, true, false);

        assertThat(pending.since()).isEqualTo(T0);
        assertThat(pending.trigger()).isEqualTo(Trigger.DEPENDENCY);
        assertThat(pending.announced()).isTrue();
        assertThat(pending.deadline(Optional.of(Duration.ofMinutes(2)))).isEqualTo(T0.plusSeconds(120));
        assertThat(pending.deadline(Optional.empty())).isNull();
    }

    @Test
    void shouldBeCoveredByARefreshThatStartedAfterIt() {
        PendingChange pending = PendingChange.NONE.changed(T0, Trigger.SCHEDULE, true, false);

        assertThat(pending.coveredUpTo(T0.minusSeconds(1))).as("a refresh that started before it").isEqualTo(pending);
        assertThat(pending.coveredUpTo(T0)).isEqualTo(PendingChange.NONE);
        assertThat(PendingChange.NONE.deadline(Optional.of(Duration.ofMinutes(1)))).isNull();
    }

    @Test
    void shouldKeepAChangeSeenWhileARunWasInProgressThatTheRunDidNotCover() {
        PendingChange beforeRun = PendingChange.NONE.changed(T0, Trigger.SCHEDULE, false, false);
        // The run starts at T0 + 1 s and sees another change at T0 + 3 s while it runs.
        PendingChange duringRun = beforeRun.runBoundary().changed(T0.plusSeconds(3), Trigger.SCHEDULE, false, true);

        PendingChange afterRun = duringRun.coveredUpTo(T0.plusSeconds(1)).runBoundary();

        assertThat(afterRun.pending()).isTrue();
        assertThat(afterRun.since()).isEqualTo(T0.plusSeconds(3));
        assertThat(afterRun.duringRun()).isNull();
    }
}
