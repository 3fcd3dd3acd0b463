package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Instant;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RunSlotsTest {

    private static final Instant T0 = Instant.parse("2026-03-02T08:00:00Z");
    private final RunSlots runs = new RunSlots(new ViewId("public", "mv"));

    private Admission request(Trigger trigger, long runId, Instant heldUntil) {
        return runs.request(trigger, T0, T0, OptionalLong.of(runId), null, heldUntil);
    }

    @Test
    void shouldJoinTheQueuedRunAndQueueOneFollowUpOfARunningOne() {
        Ticket first = ((Admission.Accepted) request(Trigger.SCHEDULE, 1, null)).ticket();
        assertThat(request(Trigger.ADMIN, 2, null)).isEqualTo(new Admission.Accepted(first, Admission.How.JOINED));
        assertThat(first.trigger()).as("the stronger trigger").isEqualTo(Trigger.ADMIN);

        assertThat(runs.start()).isSameAs(first);
        Ticket followUp = ((Admission.Accepted) request(Trigger.DEPENDENCY, 3, null)).ticket();
        assertThat(request(Trigger.SCHEDULE, 4, null)).isEqualTo(new Admission.Accepted(followUp, Admission.How.FOLLOW_UP));

        assertThat(runs.finished(first, false)).isTrue();
        assertThat(runs.promoteFollowUp(false)).isNull();
        assertThat(runs.queued()).isSameAs(followUp);
    }

    @Test
    void shouldKeepARunWaitingForARelatedViewWithItsRunIdUntilItsWaitIsOver() {
        Ticket run = ((Admission.Accepted) request(Trigger.DEPENDENCY, 7, null)).ticket();
        runs.start();
        runs.finished(run, true);
        assertThat(runs.busy()).isFalse();
        assertThat(runs.waitingRunId()).isEqualTo(7L);

        assertThat(request(Trigger.SCHEDULE, 8, T0.plusSeconds(2)))
                .isEqualTo(new Admission.Accepted(run, Admission.How.JOINED));
        assertThat(request(Trigger.SCHEDULE, 9, T0)).as("its wait is over: queued again, same run")
                .isEqualTo(new Admission.Accepted(run, Admission.How.QUEUED));
        assertThat(run.trigger()).isEqualTo(Trigger.DEPENDENCY);
    }

    @Test
    void shouldHoldBackAFollowUpUnderMinIntervalAndServeItWithTheNextRun() {
        Ticket first = ((Admission.Accepted) request(Trigger.SCHEDULE, 1, null)).ticket();
        runs.start();
        Ticket followUp = ((Admission.Accepted) request(Trigger.DEPENDENCY, 2, null)).ticket();
        runs.finished(first, false);

        assertThat(runs.promoteFollowUp(true)).isSameAs(followUp);
        assertThat(runs.owedTrigger()).isEqualTo(Trigger.DEPENDENCY);

        Ticket next = ((Admission.Accepted) request(Trigger.SCHEDULE, 3, null)).ticket();
        assertThat(runs.start()).isSameAs(next);
        assertThat(next.trigger()).as("it serves the held-back request").isEqualTo(Trigger.DEPENDENCY);
        assertThat(runs.owedTrigger()).isNull();
    }

    @Test
    void shouldDropEverythingWaiting() {
        Ticket first = ((Admission.Accepted) request(Trigger.SCHEDULE, 1, null)).ticket();
        runs.start();
        request(Trigger.ADMIN, 2, null);
        runs.owe(Trigger.DEPENDENCY, T0);

        assertThat(runs.dropWaiting()).hasSize(1);
        assertThat(runs.owedTrigger()).isNull();
        assertThat(runs.running()).as("the running run finishes on its own").isSameAs(first);
    }
}
