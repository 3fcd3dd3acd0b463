package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RunQueueTest {

    private static final Instant T0 = Instant.parse("2026-03-02T08:00:00Z");

    private final Set<ViewId> waiting = new HashSet<>();
    private final Map<ViewId, RunQueue.Urgency> urgency = new HashMap<>();
    private final RunQueue queue = new RunQueue(Duration.ofMinutes(5), waiting::contains,
            view -> urgency.getOrDefault(view, RunQueue.Urgency.NONE));
    private long nextRunId = 1;

    private Ticket queued(String name, Priority priority, Instant dueAt, boolean hasTarget) {
        Ticket ticket = new Ticket(nextRunId++, new ViewId("public", name), Trigger.SCHEDULE, dueAt, dueAt, null);
        queue.add(ticket, priority, hasTarget);
        return ticket;
    }

    @Test
    void shouldStartTheHighestPriorityThenTheLongestDue() {
        Ticket low = queued("low", Priority.LOW, T0, false);
        Ticket highLater = queued("high_later", Priority.HIGH, T0.plusSeconds(10), false);
        Ticket highEarlier = queued("high_earlier", Priority.HIGH, T0.plusSeconds(5), false);

        Instant now = T0.plusSeconds(20);
        assertThat(List.of(queue.take(now, false), queue.take(now, false), queue.take(now, false)))
                .containsExactly(highEarlier, highLater, low);
        assertThat(queue.take(now, false)).isNull();
    }

    @Test
    void shouldRaiseAWaitingRunOneLevelPerAgingPeriod() {
        Ticket low = queued("low", Priority.LOW, T0, false);
        Ticket high = queued("high", Priority.HIGH, T0.plusSeconds(600), false);

        // Ten minutes of waiting raise low twice (to high), and it has waited longer.
        assertThat(queue.level(Priority.LOW, low, T0.plusSeconds(600))).isEqualTo(Priority.HIGH.ordinal());
        assertThat(queue.take(T0.plusSeconds(600), false)).isEqualTo(low);
        assertThat(queue.take(T0.plusSeconds(600), false)).isEqualTo(high);
    }

    @Test
    void shouldRaiseARunAsItsDeadlineNears() {
        Ticket targeted = queued("targeted", Priority.LOW, T0, true);
        urgency.put(targeted.view(), new RunQueue.Urgency(T0.plusSeconds(100), Duration.ofSeconds(10)));

        assertThat(queue.level(Priority.LOW, targeted, T0)).as("far from it").isEqualTo(Priority.LOW.ordinal());
        assertThat(queue.level(Priority.LOW, targeted, T0.plusSeconds(61))).as("within four refreshes")
                .isEqualTo(Priority.MEDIUM.ordinal());
        assertThat(queue.level(Priority.LOW, targeted, T0.plusSeconds(81))).as("within two")
                .isEqualTo(Priority.CRITICAL.ordinal());
    }

    @Test
    void shouldSetAsideARunWaitingForARelatedViewUntilLookedAtAgain() {
        Ticket reader = queued("reader", Priority.CRITICAL, T0, false);
        Ticket other = queued("other", Priority.LOW, T0, false);
        waiting.add(reader.view());

        assertThat(queue.take(T0, false)).isEqualTo(other);
        assertThat(queue.take(T0, false)).isNull();
        assertThat(queue.count(Priority.CRITICAL)).as("set aside, still queued").isEqualTo(1);

        waiting.clear();
        assertThat(queue.take(T0, false)).as("not looked at again yet").isNull();
        queue.lookAgainAt(List.of(reader.view()));
        assertThat(queue.take(T0, false)).isEqualTo(reader);
    }

    @Test
    void shouldKeepReservedSlotsForViewsConfiguredCritical() {
        queued("high", Priority.HIGH, T0, false);
        assertThat(queue.take(T0, true)).isNull();
        Ticket critical = queued("critical", Priority.CRITICAL, T0.plusSeconds(1), false);
        assertThat(queue.take(T0.plusSeconds(1), true)).isEqualTo(critical);
    }

    @Test
    void shouldForgetADroppedRun() {
        Ticket dropped = queued("dropped", Priority.MEDIUM, T0, true);

        assertThat(queue.remove(dropped)).isTrue();
        assertThat(queue.remove(dropped)).isFalse();
        assertThat(queue.count(Priority.MEDIUM)).isZero();
        assertThat(queue.take(T0, false)).isNull();
    }
}
