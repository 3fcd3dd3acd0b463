package io.mvrefresh.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cron schedules read in a time zone, across the nights its clocks change. */
class CronScheduleTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static List<Instant> firesBetween(Schedule.CronSchedule schedule, Instant from, Instant to) {
        List<Instant> fires = new ArrayList<>();
        Instant after = from;
        while (true) {
            Instant next = schedule.nextDue(after, after).orElseThrow();
            if (!next.isBefore(to)) {
                return fires;
            }
            fires.add(next);
            after = next;
        }
    }

    private static Instant berlin(String localDateTime) {
        return ZonedDateTime.of(LocalDateTime.parse(localDateTime), BERLIN).toInstant();
    }

    @Test
    void shouldFireAtLocalTimeOnOrdinaryDaysInBothOffsets() {
        Schedule.CronSchedule nightly = Schedule.CronSchedule.parse("0 3 * * *", BERLIN, Instant.parse("2026-01-01T00:00:00Z"));
        // 03:00 in Berlin is 02:00 UTC in winter and 01:00 UTC in summer.
        assertThat(nightly.nextDue(Instant.parse("2026-01-10T12:00:00Z"), Instant.parse("2026-01-10T12:00:00Z")))
                .contains(Instant.parse("2026-01-11T02:00:00Z"));
        assertThat(nightly.nextDue(Instant.parse("2026-07-10T12:00:00Z"), Instant.parse("2026-07-10T12:00:00Z")))
                .contains(Instant.parse("2026-07-11T01:00:00Z"));
        assertThat(nightly.describe()).isEqualTo("0 3 * * * (Europe/Berlin)");
    }

    @Test
    void shouldFireOnceInTheNightWhoseHourIsSkipped() {
        // On 2026-03-29 Berlin's clocks jump from 02:00 to 03:00: 02:30 does not exist that night.
        Schedule.CronSchedule schedule = Schedule.CronSchedule.parse("30 2 * * *", BERLIN, Instant.parse("2026-03-01T00:00:00Z"));
        List<Instant> fires = firesBetween(schedule, berlin("2026-03-28T12:00"), berlin("2026-03-30T12:00"));
        assertThat(fires).as("one run each night, the skipped one included").hasSize(2);
        assertThat(fires.getFirst()).as("like cron: when the clocks jump").isEqualTo(berlin("2026-03-29T03:00"));
        assertThat(fires.getLast()).isEqualTo(berlin("2026-03-30T02:30"));
    }

    @Test
    void shouldFireOnceInTheNightWhoseHourIsRepeated() {
        // On 2026-10-25 Berlin's clocks go back from 03:00 to 02:00: 02:30 happens twice.
        Schedule.CronSchedule schedule = Schedule.CronSchedule.parse("30 2 * * *", BERLIN, Instant.parse("2026-10-01T00:00:00Z"));
        List<Instant> fires = firesBetween(schedule, berlin("2026-10-24T12:00"), berlin("2026-10-26T12:00"));
        assertThat(fires).as("one run each night, the repeated hour run once").hasSize(2);
        assertThat(fires.getFirst()).isEqualTo(Instant.parse("2026-10-25T00:30:00Z"));
        assertThat(fires.getLast()).isEqualTo(berlin("2026-10-26T02:30"));
    }

    @Test
    void shouldKeepAnHourlyScheduleHourlyAcrossBothNights() {
        Schedule.CronSchedule hourly = Schedule.CronSchedule.parse("0 * * * *", BERLIN, Instant.parse("2026-03-01T00:00:00Z"));
        // Local midnight to 06:00 lasts 5 real hours in spring (01, 03, 04, 05 o'clock) and 7 in
        // autumn (01, 02 twice, 03, 04, 05 o'clock): every real hour that starts in between.
        assertThat(firesBetween(hourly, berlin("2026-03-29T00:00"), berlin("2026-03-29T06:00"))).hasSize(4);
        assertThat(firesBetween(hourly, berlin("2026-10-25T00:00"), berlin("2026-10-25T06:00"))).hasSize(6);
    }
}
