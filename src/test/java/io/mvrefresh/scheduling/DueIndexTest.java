package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DueIndexTest {

    private static final Instant T0 = Instant.parse("2026-03-02T08:00:00Z");
    private static final ViewId A = new ViewId("public", "a");
    private static final ViewId B = new ViewId("public", "b");
    private static final ViewId C = new ViewId("public", "c");

    @Test
    void shouldAnswerTheDueViewsLongestDueFirstAndTheNextWakeUp() {
        DueIndex index = new DueIndex();
        index.put(C, T0.plusSeconds(60), Trigger.SCHEDULE);
        index.put(B, T0, Trigger.DEPENDENCY);
        index.put(A, T0, Trigger.SCHEDULE);

        assertThat(index.dueBy(T0)).containsExactly(new SchedulingPolicy.Due(A, Trigger.SCHEDULE),
                new SchedulingPolicy.Due(B, Trigger.DEPENDENCY));
        assertThat(index.first()).contains(T0);
        assertThat(index.dueBy(T0.minusMillis(1))).isEmpty();
    }

    @Test
    void shouldMoveAViewWhenItsDueTimeChangesAndForgetItWhenRemoved() {
        DueIndex index = new DueIndex();
        index.put(A, T0, Trigger.SCHEDULE);
        index.put(A, T0.plusSeconds(30), Trigger.SCHEDULE);

        assertThat(index.dueAt(A)).isEqualTo(T0.plusSeconds(30));
        assertThat(index.dueBy(T0)).isEmpty();

        index.remove(A);
        assertThat(index.contains(A)).isFalse();
        assertThat(index.first()).isEmpty();
    }
}
