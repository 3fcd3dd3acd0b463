package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.config.Schedule;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** min-interval holds for every trigger but a forced refresh, and defers what it holds back, never drops it. */
class MinIntervalTest {

    @Test
    void shouldHoldCascadesFromAFastSourceToOneReaderRefreshPerMinInterval() {
        PolicyHarness h = new PolicyHarness(2);
        ViewId source = h.view("mv_source", Priority.MEDIUM, new Schedule.Every(Duration.ofMinutes(2)));
        ViewId reader = h.view("mv_reader", Priority.MEDIUM, new Schedule.Every(Duration.ofDays(1)), source);
        h.minInterval(reader, Duration.ofMinutes(30));
        h.applyCatalog();

        List<Instant> readerStarts = new ArrayList<>();
        Instant end = h.now.plus(Duration.ofHours(2));
        while (h.now.isBefore(end)) {
            for (ViewId started : h.tick()) {
                if (started.equals(reader)) {
                    readerStarts.add(h.now);
                    assertThat(h.runningStart(reader).job().trigger()).isNotEqualTo(Trigger.ADMIN);
                }
            }
            for (ViewId running : List.copyOf(h.running())) {
                h.succeed(running);
            }
            h.advance(Duration.ofMinutes(1));
        }

        assertThat(readerStarts).as("refreshed after its source, but once per 30 minutes").hasSizeBetween(4, 5);
        for (int i = 1; i < readerStarts.size(); i++) {
            assertThat(Duration.between(readerStarts.get(i - 1), readerStarts.get(i)))
                    .isGreaterThanOrEqualTo(Duration.ofMinutes(30));
        }
    }

    @Test
    void shouldDeferARequestHeldBackAndRunItWithItsTriggerWhenMinIntervalEnds() {
        PolicyHarness h = new PolicyHarness(2);
        ViewId view = h.view("mv_view", Priority.MEDIUM, new Schedule.Every(Duration.ofDays(1)));
        h.minInterval(view, Duration.ofMinutes(30));
        h.applyCatalog();
        assertThat(h.tick()).containsExactly(view);
        h.succeed(view);
        Instant started = h.now;

        h.advance(Duration.ofMinutes(1));
        Admission admission = h.request(view, Trigger.DEPENDENCY);

        assertThat(admission).isEqualTo(new Admission.Deferred(started.plus(Duration.ofMinutes(30))));
        assertThat(h.snapshot(view).why().reason()).isEqualTo("min-interval");
        h.advance(Duration.ofMinutes(28));
        assertThat(h.tick()).as("still within min-interval").isEmpty();
        h.advance(Duration.ofMinutes(1));
        assertThat(h.tick()).containsExactly(view);
        assertThat(h.runningStart(view).job().trigger()).as("the held-back request's trigger").isEqualTo(Trigger.DEPENDENCY);
    }

    @Test
    void shouldHoldBackAFollowUpButNeverAForcedRefresh() {
        PolicyHarness h = new PolicyHarness(2);
        ViewId view = h.view("mv_view", Priority.MEDIUM, new Schedule.Every(Duration.ofDays(1)));
        h.minInterval(view, Duration.ofMinutes(30));
        h.applyCatalog();
        assertThat(h.tick()).containsExactly(view);

        assertThat(h.request(view, Trigger.DEPENDENCY)).isInstanceOfSatisfying(Admission.Accepted.class,
                accepted -> assertThat(accepted.how()).isEqualTo(Admission.How.FOLLOW_UP));
        h.advance(Duration.ofMinutes(1));
        h.succeed(view);
        assertThat(h.tick()).as("the follow-up waits for min-interval").isEmpty();
        assertThat(h.policy().drainDropped()).as("its callers are told").hasSize(1);

        assertThat(h.request(view, Trigger.ADMIN)).isInstanceOf(Admission.Accepted.class);
        assertThat(h.start()).as("a forced refresh runs at once").containsExactly(view);
    }
}
