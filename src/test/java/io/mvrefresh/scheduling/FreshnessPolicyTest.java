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

/** Freshness targets, change-driven refreshes, min-interval and reserved slots: the policy's decisions, by hand. */
class FreshnessPolicyTest {

    private static final Duration TARGET = Duration.ofSeconds(10);
    private static final Duration MIN = Duration.ofSeconds(5);

    @Test
    void shouldRefreshAWatchedViewWhenItsTablesChangeAndNeverWhenTheyDoNot() {
        PolicyHarness h = new PolicyHarness(2);
        ViewId view = h.targeted("mv_live", Priority.MEDIUM, TARGET, MIN, 1);
        h.applyCatalog();
        h.refreshedAt(h.now, view);

        h.advance(Duration.ofHours(6));
        assertThat(h.tick()).as("no change, no refresh, however long").isEmpty();
        assertThat(h.snapshot(view).nextDue()).isNull();
        assertThat(h.snapshot(view).lag()).isZero();

        h.written(1);
        assertThat(h.snapshot(view).nextDue()).isEqualTo(h.now);
        h.advance(Duration.ofSeconds(2));
        assertThat(h.snapshot(view).lag()).isEqualTo(Duration.ofSeconds(2));
        assertThat(h.tick()).containsExactly(view);
        assertThat(h.runningStart(view).job().trigger()).isEqualTo(Trigger.SCHEDULE);
        h.succeed(view);
        assertThat(h.snapshot(view).lag()).as("caught up").isZero();
        assertThat(h.snapshot(view).nextDue()).isNull();
    }

    @Test
    void shouldMakeABurstOfWritesOneRefreshPerMinInterval() {
        PolicyHarness h = new PolicyHarness(2);
        ViewId view = h.targeted("mv_live", Priority.MEDIUM, TARGET, MIN, 1);
        h.applyCatalog();
        h.refreshedAt(h.now.minus(Duration.ofMinutes(1)), view);

        List<Instant> starts = new ArrayList<>();
        Instant end = h.now.plusSeconds(60);
        while (h.now.isBefore(end)) {
            // A write every 100 ms, seen by the counters.
            h.written(1);
            if (!h.tick().isEmpty()) {
                starts.add(h.now);
                h.succeed(view);
            }
            h.advance(Duration.ofMillis(100));
        }

        assertThat(starts).hasSizeBetween(11, 13);
        for (int i = 1; i < starts.size(); i++) {
            assertThat(Duration.between(starts.get(i - 1), starts.get(i))).isGreaterThanOrEqualTo(MIN);
        }
        assertThat(h.snapshot(view).lag()).isLessThan(MIN);
    }

    @Test
    void shouldRefreshAViewWhoseResultChangesWithTimeEveryMaxStaleness() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId view = h.targeted("mv_today", Priority.MEDIUM, TARGET, Duration.ZERO, 1);
        h.timeDependent(view);
        h.applyCatalog();
        h.refreshedAt(h.now, view);

        assertThat(h.snapshot(view).nextDue()).isEqualTo(h.now.plus(TARGET));
        assertThat(h.snapshot(view).lag()).as("cannot be known").isNull();
        h.advance(TARGET);
        assertThat(h.tick()).containsExactly(view);
    }

    @Test
    void shouldRefreshAWatchedReaderAfterItsSourceWithinItsOwnMinInterval() {
        PolicyHarness h = new PolicyHarness(2);
        ViewId source = h.view("mv_source", Priority.MEDIUM, new Schedule.Every(Duration.ofMinutes(1)));
        ViewId reader = h.targeted("mv_reader", Priority.MEDIUM, TARGET, MIN, 7);
        h.reads(reader, source);
        h.applyCatalog();
        h.refreshedAt(h.now, source, reader);
        h.accepted(reader, Trigger.ADMIN);
        h.start();
        h.succeed(reader);

        h.advance(Duration.ofSeconds(1));
        h.accepted(source, Trigger.ADMIN);
        h.start();
        SchedulingPolicy.Finished finished = h.succeed(source);

        assertThat(finished.readers()).as("not requested at once: it has a target").isEmpty();
        assertThat(h.snapshot(reader).nextDue()).as("min-interval from its own last start").isEqualTo(h.now.plusSeconds(4));
        h.advance(Duration.ofSeconds(4));
        assertThat(h.tick()).containsExactly(reader);
        assertThat(h.runningStart(reader).job().trigger()).as("a cascade: never skipped as unchanged")
                .isEqualTo(Trigger.DEPENDENCY);
    }

    @Test
    void shouldStartACriticalViewAtOnceInAReservedSlotWhateverElseRuns() {
        PolicyHarness h = new PolicyHarness(2, 1, Duration.ofDays(1));
        List<ViewId> low = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            low.add(h.view("mv_low_" + i, Priority.LOW, new Schedule.Every(Duration.ofHours(1))));
        }
        ViewId critical = h.view("mv_critical", Priority.CRITICAL, new Schedule.Every(Duration.ofHours(1)));
        h.applyCatalog();
        h.refreshedAt(h.now, critical);

        assertThat(h.tick()).as("one slot is kept for critical views").hasSize(1);
        h.advance(Duration.ofHours(1));
        assertThat(h.tick()).containsExactly(critical);
        assertThat(h.running()).hasSize(2);
    }

    @Test
    void shouldRaiseAViewNearingTheDeadlineOfItsTargetAboveHigherPriorities() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId blocker = h.view("mv_blocker", Priority.CRITICAL, new Schedule.Every(Duration.ofDays(1)));
        ViewId high = h.view("mv_high", Priority.HIGH, new Schedule.Every(Duration.ofMinutes(1)));
        ViewId live = h.targeted("mv_live", Priority.LOW, Duration.ofSeconds(30), Duration.ZERO, 1);
        h.applyCatalog();
        h.refreshedAt(h.now, blocker, high, live);
        h.accepted(blocker, Trigger.ADMIN);
        h.start();

        h.written(1);
        h.advance(Duration.ofMinutes(1));
        h.tick();
        assertThat(h.snapshot(high).status().label()).isEqualTo("queued");
        assertThat(h.snapshot(live).status().label()).isEqualTo("queued");
        h.succeed(blocker);

        assertThat(h.start()).as("its 30 s target has passed: it goes first").containsExactly(live);
    }

    @Test
    void shouldReportATargetThatMinIntervalAndTheRefreshDurationCannotMeet() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId view = h.targeted("mv_slow", Priority.MEDIUM, TARGET, MIN, 1);
        h.applyCatalog();
        h.written(1);
        h.tick();
        h.advance(Duration.ofSeconds(7));
        h.succeed(view);

        assertThat(h.snapshot(view).expectedDuration()).isEqualTo(Duration.ofSeconds(7));
        assertThat(h.snapshot(view).targetUnmeetable()).contains("max-staleness 10s cannot be met");
    }

    @Test
    void shouldKeepAChangeSeenDuringARefreshForTheNextOne() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId view = h.targeted("mv_live", Priority.MEDIUM, TARGET, Duration.ZERO, 1);
        h.applyCatalog();
        h.refreshedAt(h.now, view);
        h.written(1);
        h.tick();
        h.advance(Duration.ofSeconds(1));
        h.written(1);
        h.advance(Duration.ofSeconds(1));
        h.succeed(view);

        assertThat(h.snapshot(view).lag()).isEqualTo(Duration.ofSeconds(1));
        assertThat(h.tick()).containsExactly(view);
    }

    @Test
    void shouldFollowACheckThatFoundNothingWithOneMoreAfterTheStatisticsDelayOnly() {
        PolicyHarness h = new PolicyHarness(1);
        Duration interval = Duration.ofHours(1);
        Duration delay = io.mvrefresh.refresh.RefreshExecutor.STATISTICS_DELAY;
        ViewId view = h.view("mv_hourly", Priority.MEDIUM, new Schedule.Every(interval));
        h.applyCatalog();
        h.refreshedAt(h.now, view);

        h.advance(interval);
        assertThat(h.tick()).containsExactly(view);
        Instant firstCheck = h.now;
        h.unchanged(view);
        // A write committed just before the check may be counted up to the delay later.
        assertThat(h.snapshot(view).nextDue()).as("followed up").isEqualTo(firstCheck.plus(delay));

        h.advance(delay);
        assertThat(h.tick()).containsExactly(view);
        Instant followUp = h.now;
        h.unchanged(view);
        // The follow-up vouches for everything up to the first check: back to the hourly schedule.
        assertThat(h.snapshot(view).nextDue()).isEqualTo(followUp.minus(delay).plus(interval));

        h.advance(Duration.between(h.now, h.snapshot(view).nextDue()));
        assertThat(h.tick()).containsExactly(view);
        Instant nextCheck = h.now;
        h.unchanged(view);
        assertThat(h.snapshot(view).nextDue()).as("every check on schedule is followed up").isEqualTo(nextCheck.plus(delay));
        h.advance(delay);
        assertThat(h.tick()).containsExactly(view);
        h.succeed(view);
        assertThat(h.snapshot(view).nextDue()).as("a refresh: the plain schedule").isEqualTo(h.now.plus(interval));
    }
}
