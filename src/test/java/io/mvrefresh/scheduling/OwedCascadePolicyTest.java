package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.config.Schedule;
import io.mvrefresh.state.SkipCounts;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A cascade owed in view_state (written with a source's refresh) makes the reader due, until a refresh started after it. */
class OwedCascadePolicyTest {

    private static ViewState owing(ViewId view, Instant refreshedAt, Instant cascadeAt, long revision) {
        return new ViewState(view, refreshedAt, refreshedAt, refreshedAt, 0, false, revision, SkipCounts.NONE, refreshedAt,
                cascadeAt);
    }

    @Test
    void shouldRunTheReaderWithTriggerDependencyAndStopOwingOnceARefreshStartedAfterIt() {
        PolicyHarness h = new PolicyHarness(2);
        ViewId reader = h.view("mv_reader", Priority.MEDIUM, new Schedule.Every(Duration.ofDays(1)));
        h.applyCatalog();
        h.refreshedAt(h.now, reader);
        assertThat(h.tick()).isEmpty();

        h.advance(Duration.ofMinutes(5));
        h.store(owing(reader, h.now.minus(Duration.ofMinutes(5)), h.now, 100));

        assertThat(h.tick()).containsExactly(reader);
        assertThat(h.runningStart(reader).job().trigger()).isEqualTo(Trigger.DEPENDENCY);
        h.advance(Duration.ofSeconds(1));
        h.succeed(reader);
        assertThat(h.tick()).as("caught up").isEmpty();
    }

    @Test
    void shouldOweNothingWhenAnotherReplicaAlreadyRefreshedTheReaderAfterTheSource() {
        PolicyHarness h = new PolicyHarness(2);
        ViewId reader = h.view("mv_reader", Priority.MEDIUM, new Schedule.Every(Duration.ofDays(1)));
        h.applyCatalog();
        Instant sourceCommitted = h.now;
        h.advance(Duration.ofSeconds(30));
        h.store(owing(reader, h.now, sourceCommitted, 100));

        assertThat(h.tick()).isEmpty();
        assertThat(h.snapshot(reader).why().reason()).isEqualTo("scheduled");
    }
}
