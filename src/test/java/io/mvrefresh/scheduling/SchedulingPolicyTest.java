package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import com.cronutils.model.time.ExecutionTime;
import io.mvrefresh.config.Schedule;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.mvrefresh.vocabulary.ViewStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The scheduling rules, driven by hand with a settable clock: no database, no timers. */
class SchedulingPolicyTest {

    private static final Schedule HOURLY = new Schedule.Every(Duration.ofHours(1));

    @Test
    void shouldStartTheHighestPriorityFirstWhenMoreAreDueThanSlots() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId low = h.view("mv_low", Priority.LOW, HOURLY);
        ViewId critical = h.view("mv_critical", Priority.CRITICAL, HOURLY);
        ViewId medium = h.view("mv_medium", Priority.MEDIUM, HOURLY);
        ViewId high = h.view("mv_high", Priority.HIGH, HOURLY);
        h.applyCatalog();

        assertThat(h.tick()).containsExactly(critical);
        h.succeed(critical);
        assertThat(h.start()).containsExactly(high);
        h.succeed(high);
        assertThat(h.start()).containsExactly(medium);
        h.succeed(medium);
        assertThat(h.start()).containsExactly(low);
    }

    @Test
    void shouldStartTheViewDueLongestFirstWithinAPriority() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId blocker = h.view("mv_blocker", Priority.CRITICAL, HOURLY);
        ViewId later = h.view("mv_a_due_later", Priority.MEDIUM, HOURLY);
        ViewId earlier = h.view("mv_b_due_earlier", Priority.MEDIUM, HOURLY);
        h.applyCatalog();
        h.refreshedAt(h.now.minus(Duration.ofMinutes(61)), later);
        h.refreshedAt(h.now.minus(Duration.ofMinutes(90)), earlier);

        assertThat(h.tick()).containsExactly(blocker);
        h.succeed(blocker);

        assertThat(h.start()).as("due 30 minutes before the other, despite sorting after it by name").containsExactly(earlier);
        h.succeed(earlier);
        assertThat(h.start()).containsExactly(later);
    }

    @Test
    void shouldRaiseAWaitingViewOnePriorityLevelPerAgingPeriod() {
        PolicyHarness h = new PolicyHarness(1, 0, Duration.ofMinutes(5));
        ViewId low = h.view("mv_low", Priority.LOW, HOURLY);
        ViewId high = h.view("mv_high", Priority.HIGH, new Schedule.Every(Duration.ofMinutes(10)));
        ViewId running = h.view("mv_long", Priority.CRITICAL, new Schedule.Every(Duration.ofDays(1)));
        h.applyCatalog();
        h.refreshedAt(h.now, high);
        assertThat(h.tick()).containsExactly(running);

        // The low view waits 11 minutes behind a long refresh: two levels up, to high. The high view
        // fell due a minute ago: still high, and due for a shorter time.
        h.advance(Duration.ofMinutes(11));
        assertThat(h.tick()).isEmpty();
        assertThat(h.snapshot(high).status()).isEqualTo(ViewStatus.QUEUED);
        h.succeed(running);
        assertThat(h.start()).as("aged from low to high and due longer than the high view").containsExactly(low);
    }

    @Test
    void shouldRefreshSourcesBeforeReadersWhenBothAreDueWhateverTheirPriorities() {
        PolicyHarness h = new PolicyHarness(4);
        ViewId source = h.view("mv_source", Priority.LOW, HOURLY);
        ViewId reader = h.view("mv_reader", Priority.CRITICAL, HOURLY, source);
        h.applyCatalog();

        assertThat(h.tick()).containsExactly(source);
        assertThat(h.snapshot(reader).status()).isEqualTo(ViewStatus.QUEUED);

        SchedulingPolicy.Finished finished = h.succeed(source);

        assertThat(finished.readers()).containsExactly(reader);
        assertThat(h.start()).containsExactly(reader);
        assertThat(h.runningStart(reader).job().trigger()).as("the queued startup run now also serves the cascade")
                .isEqualTo(Trigger.DEPENDENCY);
    }

    @Test
    void shouldKeepAReaderWaitingWhileItsSourceRunsAndASourceWhileItsReaderRuns() {
        PolicyHarness h = new PolicyHarness(4);
        ViewId source = h.view("mv_source", Priority.MEDIUM, HOURLY);
        ViewId middle = h.view("mv_middle", Priority.MEDIUM, HOURLY, source);
        ViewId reader = h.view("mv_reader", Priority.MEDIUM, HOURLY, middle);
        h.applyCatalog();
        h.refreshedAt(h.now, source, middle, reader);

        h.accepted(reader, Trigger.ADMIN);
        assertThat(h.start()).containsExactly(reader);
        h.accepted(source, Trigger.ADMIN);
        assertThat(h.start()).as("a source never changes under a reader, even two levels down").isEmpty();

        h.succeed(reader);
        assertThat(h.start()).containsExactly(source);
        h.accepted(reader, Trigger.ADMIN);
        assertThat(h.start()).as("a reader never reads a source half way through its refresh").isEmpty();
        assertThat(h.running()).containsExactly(source);
    }

    @Test
    void shouldLetTwoReadersOfOneSourceRunTogether() {
        PolicyHarness h = new PolicyHarness(4);
        ViewId source = h.view("mv_source", Priority.MEDIUM, HOURLY);
        ViewId first = h.view("mv_first", Priority.MEDIUM, HOURLY, source);
        ViewId second = h.view("mv_second", Priority.MEDIUM, HOURLY, source);
        h.applyCatalog();
        h.refreshedAt(h.now, source, first, second);

        h.accepted(first, Trigger.ADMIN);
        h.accepted(second, Trigger.ADMIN);

        assertThat(h.start()).containsExactlyInAnyOrder(first, second);
    }

    @Test
    void shouldJoinAQueuedRunAndQueueExactlyOneFollowUpForARunningOne() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId blocker = h.view("mv_blocker", Priority.CRITICAL, HOURLY);
        ViewId view = h.view("mv_view", Priority.MEDIUM, HOURLY);
        h.applyCatalog();
        h.refreshedAt(h.now, blocker, view);
        h.accepted(blocker, Trigger.ADMIN);
        h.start();

        Ticket queued = h.accepted(view, Trigger.ADMIN);
        Admission again = h.request(view, Trigger.ADMIN);
        assertThat(again).isEqualTo(new Admission.Accepted(queued, Admission.How.JOINED));

        h.succeed(blocker);
        assertThat(h.start()).containsExactly(view);
        Ticket followUp = h.accepted(view, Trigger.ADMIN);
        for (int i = 0; i < 10; i++) {
            assertThat(h.accepted(view, Trigger.ADMIN)).isSameAs(followUp);
        }
        assertThat(followUp.runId()).isNotEqualTo(queued.runId());

        h.succeed(view);
        assertThat(h.start()).containsExactly(view);
        assertThat(h.runningStart(view).ticket()).isSameAs(followUp);
        h.succeed(view);
        assertThat(h.start()).as("ten requests during one run make exactly one more run").isEmpty();
    }

    @Test
    void shouldGiveAMergedRunTheStrongestTriggerItWasAskedWith() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId blocker = h.view("mv_blocker", Priority.CRITICAL, new Schedule.Every(Duration.ofDays(1)));
        ViewId view = h.view("mv_view", Priority.MEDIUM, HOURLY);
        h.applyCatalog();
        h.refreshedAt(h.now, blocker);
        h.refreshedAt(h.now.minus(Duration.ofHours(2)), view);
        h.accepted(blocker, Trigger.ADMIN);
        assertThat(h.tick()).containsExactly(blocker);
        Ticket scheduled = h.accepted(view, Trigger.SCHEDULE);
        assertThat(scheduled.trigger()).isEqualTo(Trigger.STARTUP);

        assertThat(h.accepted(view, Trigger.DEPENDENCY)).isSameAs(scheduled);
        assertThat(scheduled.trigger()).isEqualTo(Trigger.DEPENDENCY);
        assertThat(h.accepted(view, Trigger.ADMIN)).isSameAs(scheduled);
        assertThat(h.accepted(view, Trigger.SCHEDULE)).isSameAs(scheduled);
        assertThat(scheduled.trigger()).as("a weaker request never downgrades it").isEqualTo(Trigger.ADMIN);

        h.succeed(blocker);
        h.start();
        assertThat(h.runningStart(view).job().trigger()).as("the run is recorded with the trigger that decided it")
                .isEqualTo(Trigger.ADMIN);
        assertThat(h.runningStart(view).job().trigger().mayConcludeNothingChanged()).isFalse();
    }

    @Test
    void shouldNotLoseACascadeToAReaderAlreadyQueuedForItsOwnSchedule() {
        // Equal intervals: the weekly rollup falls due together with the daily metrics it reads.
        PolicyHarness h = new PolicyHarness(2);
        ViewId daily = h.view("mv_brand_daily_metrics", Priority.MEDIUM, HOURLY);
        ViewId weekly = h.view("mv_brand_weekly_metrics", Priority.MEDIUM, HOURLY, daily);
        h.applyCatalog();
        h.refreshedAt(h.now, daily, weekly);
        h.advance(Duration.ofHours(1));

        assertThat(h.tick()).containsExactly(daily);
        assertThat(h.snapshot(weekly).status()).isEqualTo(ViewStatus.QUEUED);
        h.succeed(daily);
        assertThat(h.start()).containsExactly(weekly);

        assertThat(h.runningStart(weekly).job().trigger())
                .as("the cascade joined the scheduled run, which may therefore not be skipped as unchanged")
                .isEqualTo(Trigger.DEPENDENCY);
    }

    @Test
    void shouldRetryAFailingViewWithExponentialBackoffCappedAtItsPeriod() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId view = h.view("mv_view", Priority.MEDIUM, new Schedule.Every(Duration.ofSeconds(30)));
        h.applyCatalog();
        h.tick();

        List<Long> waits = new java.util.ArrayList<>();
        for (int attempt = 0; attempt < 5; attempt++) {
            Instant failedAt = h.now;
            h.fail(view);
            assertThat(h.snapshot(view).status()).isEqualTo(ViewStatus.FAILING);
            Instant retry = h.snapshot(view).nextDue();
            waits.add(Duration.between(failedAt, retry).toSeconds());
            h.now = retry.minusMillis(1);
            assertThat(h.tick()).isEmpty();
            h.now = retry;
            assertThat(h.tick()).containsExactly(view);
        }

        assertThat(waits).containsExactly(5L, 10L, 20L, 30L, 30L);
        h.succeed(view);
        assertThat(h.snapshot(view).status()).isEqualTo(ViewStatus.IDLE);
        assertThat(h.snapshot(view).nextDue()).isEqualTo(h.now.plusSeconds(30));
    }

    @Test
    void shouldComputeCronDueTimesFromTheLastFreshInstantAndMakeUpMissedRunsOnce() {
        PolicyHarness h = new PolicyHarness(1);
        Schedule nightly = Schedule.CronSchedule.parse("0 3 * * *", ZoneOffset.UTC, h.now);
        ViewId view = h.view("mv_nightly", Priority.MEDIUM, nightly);
        h.applyCatalog();
        Instant lastRun = Instant.parse("2026-02-27T03:00:02Z");
        h.refreshedAt(lastRun, view);

        assertThat(h.snapshot(view).nextDue()).as("three nights were missed; one run makes them up")
                .isEqualTo(Instant.parse("2026-02-28T03:00:00Z"));
        assertThat(h.tick()).containsExactly(view);
        h.succeed(view);
        assertThat(h.snapshot(view).nextDue()).isEqualTo(Instant.parse("2026-03-03T03:00:00Z"));
        assertThat(h.policy().nextWakeUp()).contains(Instant.parse("2026-03-03T03:00:00Z"));
    }

    @Test
    void shouldKeepSchedulingOtherViewsWhenOneViewsScheduleFails() {
        PolicyHarness h = new PolicyHarness(2);
        ExecutionTime broken = new BrokenExecutionTime();
        ViewId brokenView = h.view("mv_broken", Priority.MEDIUM, new Schedule.CronSchedule("0 0 30 2 *", ZoneOffset.UTC, broken));
        ViewId healthy = h.view("mv_healthy", Priority.MEDIUM, HOURLY);
        h.applyCatalog();
        h.refreshedAt(h.now, brokenView, healthy);
        h.advance(Duration.ofHours(1));
        h.refreshedAt(h.now.minus(Duration.ofHours(1)), healthy);

        assertThat(h.tick()).containsExactly(healthy);
        assertThat(h.snapshot(brokenView).status()).isEqualTo(ViewStatus.FAILING);
        assertThat(h.snapshot(brokenView).scheduleError()).contains("long overflow");
        assertThat(h.snapshot(brokenView).nextDue()).isNull();
    }

    @Test
    void shouldNeverRefreshADisabledViewBySchedulingCascadeOrRequest() {
        PolicyHarness h = new PolicyHarness(2);
        ViewId source = h.view("mv_source", Priority.MEDIUM, new Schedule.Every(Duration.ofSeconds(10)));
        ViewId disabled = h.view("mv_disabled", Priority.MEDIUM, new Schedule.Every(Duration.ofSeconds(10)), source);
        h.disable(disabled);
        h.applyCatalog();

        assertThat(h.tick()).containsExactly(source);
        SchedulingPolicy.Finished finished = h.succeed(source);
        assertThat(finished.readers()).containsExactly(disabled);
        assertThat(h.policy().admit(disabled, Trigger.DEPENDENCY, h.now))
                .isInstanceOfSatisfying(Admission.Refused.class,
                        refused -> assertThat(refused.refusal()).isEqualTo(Admission.Refusal.DISABLED));
        assertThat(h.policy().admit(disabled, Trigger.ADMIN, h.now))
                .isInstanceOfSatisfying(Admission.Refused.class, refused -> assertThat(refused.message()).contains("disabled"));
        assertThat(h.start()).isEmpty();
        h.advance(Duration.ofMinutes(2));
        assertThat(h.dueViews()).containsExactly(source);
        assertThat(h.snapshot(disabled).nextDue()).isNull();
    }

    @Test
    void shouldRefuseAPausedViewAlikeForEveryKindOfRequestAndDropWhatWaits() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId blocker = h.view("mv_blocker", Priority.CRITICAL, HOURLY);
        ViewId view = h.view("mv_view", Priority.MEDIUM, HOURLY);
        h.applyCatalog();
        h.refreshedAt(h.now, blocker, view);
        h.accepted(blocker, Trigger.ADMIN);
        h.start();
        Ticket queued = h.accepted(view, Trigger.ADMIN);

        h.store(new io.mvrefresh.state.ViewState(view, h.now, h.now, h.now, 0, true, 100));

        assertThat(h.policy().drainDropped()).containsExactly(queued);
        assertThat(h.snapshot(view).status()).isEqualTo(ViewStatus.PAUSED);
        for (Trigger trigger : Trigger.values()) {
            assertThat(h.policy().admit(view, trigger, h.now)).as(trigger.label()).isInstanceOfSatisfying(Admission.Refused.class,
                    refused -> assertThat(refused.refusal()).isEqualTo(Admission.Refusal.PAUSED));
        }
        h.advance(Duration.ofHours(3));
        assertThat(h.dueViews()).doesNotContain(view);
    }

    @Test
    void shouldReportMissingViewsOnceAndNeverScheduleThem() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId view = h.view("mv_view", Priority.MEDIUM, HOURLY);
        h.drop(view);

        assertThat(h.applyCatalog().missing()).containsExactly(view);
        assertThat(h.applyCatalog().missing()).as("reported once per disappearance").isEmpty();
        assertThat(h.snapshot(view).status()).isEqualTo(ViewStatus.MISSING);
        assertThat(h.policy().admit(view, Trigger.ADMIN, h.now)).isInstanceOfSatisfying(Admission.Refused.class,
                refused -> assertThat(refused.refusal()).isEqualTo(Admission.Refusal.MISSING));
        assertThat(h.tick()).isEmpty();
        assertThat(h.policy().admit(new ViewId("public", "mv_unknown"), Trigger.ADMIN, h.now))
                .isInstanceOfSatisfying(Admission.Refused.class,
                        refused -> assertThat(refused.refusal()).isEqualTo(Admission.Refusal.UNKNOWN));
    }

    @Test
    void shouldRefreshAnUnpopulatedViewAtOnceWhateverItsSchedule() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId view = h.view("mv_recreated", Priority.MEDIUM, new Schedule.Every(Duration.ofDays(1)));
        h.applyCatalog();
        h.refreshedAt(h.now.minus(Duration.ofMinutes(5)), view);
        assertThat(h.tick()).isEmpty();

        // Dropped and created again WITH NO DATA: the stored last success is the old view's.
        h.unpopulated(view);
        h.applyCatalog();

        assertThat(h.tick()).containsExactly(view);
        h.succeed(view);
        assertThat(h.snapshot(view).catalogView().populated()).isTrue();
        assertThat(h.snapshot(view).nextDue()).isEqualTo(h.now.plus(Duration.ofDays(1)));
    }

    @Test
    void shouldTrustARefreshByAnotherReplicaAfterTheScanThatFoundTheViewUnpopulated() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId view = h.view("mv_created_with_no_data", Priority.MEDIUM, HOURLY);
        h.unpopulated(view);
        h.applyCatalog();
        assertThat(h.dueViews()).containsExactly(view);

        h.advance(Duration.ofSeconds(1));
        h.refreshedAt(h.now, view);

        assertThat(h.dueViews()).as("populated by that refresh; the next scan will say so").isEmpty();
        assertThat(h.snapshot(view).nextDue()).isEqualTo(h.now.plus(Duration.ofHours(1)));
    }

    @Test
    void shouldWakeUpWhenTheEarliestIdleViewFallsDue() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId hourly = h.view("mv_hourly", Priority.MEDIUM, HOURLY);
        ViewId minutely = h.view("mv_minutely", Priority.MEDIUM, new Schedule.Every(Duration.ofMinutes(1)));
        h.applyCatalog();
        h.refreshedAt(h.now, hourly, minutely);

        assertThat(h.policy().nextWakeUp()).contains(h.now.plus(Duration.ofMinutes(1)));
        h.advance(Duration.ofMinutes(1));
        h.tick();
        assertThat(h.policy().nextWakeUp()).as("the running view is out of the index")
                .contains(h.now.plus(Duration.ofMinutes(59)));
    }

    @Test
    void shouldDeferAViewAnotherReplicaIsRefreshing() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId view = h.view("mv_view", Priority.MEDIUM, new Schedule.Every(Duration.ofMinutes(1)));
        h.applyCatalog();
        h.tick();

        h.lockedElsewhere(view);

        assertThat(h.snapshot(view).nextDue()).isEqualTo(h.now.plusSeconds(15));
    }

    @Test
    void shouldStartNothingAndRefuseEverythingOnceStopped() {
        PolicyHarness h = new PolicyHarness(1);
        ViewId first = h.view("mv_first", Priority.MEDIUM, HOURLY);
        ViewId second = h.view("mv_second", Priority.MEDIUM, HOURLY);
        h.applyCatalog();
        h.tick();

        h.policy().stop();

        assertThat(h.policy().drainDropped()).hasSize(1);
        assertThat(h.policy().admit(second, Trigger.ADMIN, h.now)).isInstanceOfSatisfying(Admission.Refused.class,
                refused -> assertThat(refused.refusal()).isEqualTo(Admission.Refusal.STOPPING));
        h.succeed(first);
        assertThat(h.start()).isEmpty();
        assertThat(h.policy().running()).isZero();
    }

    @Test
    void shouldRunAFullBurstInPriorityOrderWithinConcurrency() {
        PolicyHarness h = new PolicyHarness(3);
        List<ViewId> views = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            views.add(h.view("mv_" + i, Priority.values()[i % 4], HOURLY));
        }
        h.applyCatalog();
        List<Priority> order = new java.util.ArrayList<>();
        List<ViewId> started = h.tick();
        while (!started.isEmpty() || !h.running().isEmpty()) {
            assertThat(h.running()).hasSizeLessThanOrEqualTo(3);
            ViewId next = h.running().stream().sorted().findFirst().orElseThrow();
            order.add(h.runningStart(next).job().settings().priority());
            h.succeed(next);
            started = h.start();
        }
        assertThat(order).hasSize(200);
        assertThat(order.subList(0, 45)).doesNotContain(Priority.LOW);
    }

    /** A cron evaluation that fails the way a schedule that never fires once did. */
    private static final class BrokenExecutionTime implements ExecutionTime {

        @Override
        public Optional<ZonedDateTime> nextExecution(ZonedDateTime date) {
            throw new ArithmeticException("long overflow");
        }

        @Override
        public Optional<Duration> timeToNextExecution(ZonedDateTime date) {
            throw new ArithmeticException("long overflow");
        }

        @Override
        public Optional<ZonedDateTime> lastExecution(ZonedDateTime date) {
            return Optional.empty();
        }

        @Override
        public Optional<Duration> timeFromLastExecution(ZonedDateTime date) {
            return Optional.empty();
        }

        @Override
        public boolean isMatch(ZonedDateTime date) {
            return false;
        }
    }
}
