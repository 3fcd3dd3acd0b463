package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.config.Schedule;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What {@code why} says for each state a view can be in, driven through the policy by hand. */
class WhyTest {

    private static final Schedule HOURLY = new Schedule.Every(Duration.ofHours(1));

    @Test
    void shouldSayWhenAnIdleViewIsRefreshedNextAndThatAnOverdueOneIsDue() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId view = h.view("mv_hourly", Priority.MEDIUM, HOURLY);
        h.applyCatalog();
        h.refreshedAt(h.now, view);

        Why why = h.snapshot(view).why();
        assertThat(why.reason()).isEqualTo("scheduled");
        assertThat(why.until()).isEqualTo(h.now.plus(Duration.ofHours(1)));

        h.advance(Duration.ofMinutes(61));
        assertThat(h.snapshot(view).why().reason()).isEqualTo("due");
    }

    @Test
    void shouldNameTheSourceAQueuedReaderWaitsFor() {
        PolicyHarness h = new PolicyHarness(2);
        ViewId source = h.view("mv_source", Priority.LOW, HOURLY);
        ViewId reader = h.view("mv_reader", Priority.HIGH, HOURLY, source);
        h.applyCatalog();

        assertThat(h.tick()).containsExactly(source);

        Why why = h.snapshot(reader).why();
        assertThat(why.reason()).isEqualTo("waiting-for-source");
        assertThat(why.message()).contains(source.toString());
        assertThat(h.snapshot(source).why().reason()).isEqualTo("running");
    }

    @Test
    void shouldSayWhenMinIntervalHoldsAViewBackAndUntilWhen() {
        PolicyHarness h = new PolicyHarness(2);
        ViewId view = h.targeted("mv_live", Priority.MEDIUM, Duration.ofMinutes(10), Duration.ofMinutes(5), 1);
        h.applyCatalog();
        h.refreshedAt(h.now.minus(Duration.ofHours(1)), view);
        h.written(1);
        assertThat(h.tick()).containsExactly(view);
        h.succeed(view);

        h.advance(Duration.ofMinutes(1));
        h.written(1);

        Why why = h.snapshot(view).why();
        assertThat(why.reason()).isEqualTo("min-interval");
        assertThat(why.until()).isEqualTo(h.snapshot(view).nextDue());
    }

    @Test
    void shouldSayRetryingAfterAFailureAndPausedOrDisabledOrMissing() {
        PolicyHarness h = new PolicyHarness(2);
        ViewId failing = h.view("mv_failing", Priority.MEDIUM, HOURLY);
        ViewId paused = h.view("mv_paused", Priority.MEDIUM, HOURLY);
        ViewId disabled = h.view("mv_disabled", Priority.MEDIUM, HOURLY);
        h.disable(disabled);
        h.applyCatalog();
        h.refreshedAt(h.now, paused);
        h.store(new ViewState(paused, h.now, h.now, h.now, 0, true, 1_000));

        assertThat(h.tick()).containsExactly(failing);
        h.fail(failing);

        Why retrying = h.snapshot(failing).why();
        assertThat(retrying.reason()).isEqualTo("retrying");
        assertThat(retrying.message()).startsWith("1 refresh(es) in a row failed");
        assertThat(retrying.until()).isAfter(h.now);
        assertThat(h.snapshot(paused).why().reason()).isEqualTo("paused");
        assertThat(h.snapshot(disabled).why().reason()).isEqualTo("disabled");

        h.drop(failing);
        h.applyCatalog();
        assertThat(h.snapshot(failing).why().reason()).as("configured, and gone from the catalog").isEqualTo("missing");
    }
}
