package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.config.InvalidationRules;
import io.mvrefresh.config.RefreshMode;
import io.mvrefresh.config.Schedule;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.state.ViewState;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DueRuleTest {

    private static final Instant T0 = Instant.parse("2026-03-02T08:00:00Z");
    private static final ViewId VIEW = new ViewId("public", "mv");

    private static ViewSettings every(Duration interval, Optional<Duration> maxStaleness, Duration minInterval) {
        return new ViewSettings(VIEW, new Schedule.Every(interval), Priority.MEDIUM, RefreshMode.AUTO, Duration.ofMinutes(10),
                Duration.ofSeconds(30), true, Set.of(), InvalidationRules.NONE, true, true, maxStaleness, minInterval,
                Optional.empty());
    }

    private static ViewState refreshedAt(Instant at) {
        return new ViewState(VIEW, at, at, at, 0, false, 1);
    }

    private static DueRule.Facts facts(ViewSettings settings, ViewState stored, PendingChange pending, Instant lastStartedAt) {
        return new DueRule.Facts(settings, stored, false, true, 1.0, pending, lastStartedAt, null, false, null);
    }

    @Test
    void shouldBeDueAnIntervalAfterTheLastSuccess() {
        DueRule.Answer answer = DueRule.next(facts(every(Duration.ofMinutes(5), Optional.empty(), Duration.ZERO),
                refreshedAt(T0), PendingChange.NONE, T0), T0);

        assertThat(answer).isEqualTo(new DueRule.Due(T0.plusSeconds(300), Trigger.SCHEDULE, DueRule.Cause.SCHEDULE));
    }

    @Test
    void shouldRetryAFailingViewAfterItsBackoff() {
        ViewState failing = new ViewState(VIEW, T0, T0, T0.plusSeconds(60), 3, false, 2);

        DueRule.Answer answer = DueRule.next(facts(every(Duration.ofMinutes(5), Optional.empty(), Duration.ZERO), failing,
                PendingChange.NONE, T0), T0.plusSeconds(60));

        assertThat(answer).as("5 s doubled twice")
                .isEqualTo(new DueRule.Due(T0.plusSeconds(80), Trigger.SCHEDULE, DueRule.Cause.RETRY));
    }

    @Test
    void shouldBeDueAtAChangeWithinItsTargetButNotBeforeItsMinimumInterval() {
        ViewSettings targeted = every(Duration.ofHours(1), Optional.of(Duration.ofMinutes(2)), Duration.ofMinutes(1));
        PendingChange source = PendingChange.NONE.changed(T0.plusSeconds(10), Trigger.DEPENDENCY, false, false);

        DueRule.Answer answer = DueRule.next(facts(targeted, refreshedAt(T0), source, T0), T0.plusSeconds(10));

        assertThat(answer).isEqualTo(new DueRule.Due(T0.plusSeconds(60), Trigger.DEPENDENCY, DueRule.Cause.MIN_INTERVAL));
    }

    @Test
    void shouldBeDueAtOnceWhenNotPopulated() {
        DueRule.Facts unpopulated = new DueRule.Facts(every(Duration.ofHours(1), Optional.empty(), Duration.ZERO),
                ViewState.initial(VIEW), true, true, 1.0, PendingChange.NONE, null, null, false, null);

        assertThat(DueRule.next(unpopulated, T0)).isEqualTo(new DueRule.Due(T0, Trigger.SCHEDULE, DueRule.Cause.UNPOPULATED));
    }

    @Test
    void shouldSayWhenAnotherReplicasLockSetsTheTime() {
        DueRule.Facts deferred = new DueRule.Facts(every(Duration.ofMinutes(5), Optional.empty(), Duration.ZERO), refreshedAt(T0),
                false, true, 1.0, PendingChange.NONE, T0, null, false, T0.plusSeconds(600));

        assertThat(DueRule.next(deferred, T0))
                .isEqualTo(new DueRule.Due(T0.plusSeconds(600), Trigger.SCHEDULE, DueRule.Cause.LOCKED_ELSEWHERE));
    }

    @Test
    void shouldNameWhyADueTimeCannotBeComputed() {
        ViewSettings huge = every(Duration.ofSeconds(Long.MAX_VALUE / 2), Optional.empty(), Duration.ZERO);

        DueRule.Answer answer = DueRule.next(facts(huge, refreshedAt(T0), PendingChange.NONE, T0), T0);

        assertThat(answer).isInstanceOfSatisfying(DueRule.Unschedulable.class,
                unschedulable -> assertThat(unschedulable.reason()).startsWith("its due time could not be computed"));
    }
}
