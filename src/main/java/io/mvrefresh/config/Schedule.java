package io.mvrefresh.config;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.Objects;
import java.util.Optional;

/** When a view falls due, given when it was last known fresh. */
public sealed interface Schedule {

    /**
     * The first instant the view is due after it was last known fresh at {@code freshAsOf};
     * empty when the schedule never fires again. A view never refreshed is due at {@code now}.
     */
    Optional<Instant> nextDue(Instant freshAsOf, Instant now);

    /** How the schedule is written in configuration. */
    String describe();

    /** The time between two refreshes around {@code now}, used to cap retry backoff and for alerts. */
    Duration period(Instant now);

    /**
     * No clock schedule: a view with a freshness target alone, refreshed when what it reads
     * changes. A view whose result changes without writes (time functions) cannot be watched and
     * is refreshed every {@code maxStaleness} instead; the scheduler decides that, knowing the
     * view.
     */
    record OnChange(Duration maxStaleness) implements Schedule {

        @Override
        public Optional<Instant> nextDue(Instant freshAsOf, Instant now) {
            return freshAsOf == null ? Optional.of(now) : Optional.empty();
        }

        @Override
        public String describe() {
            return "on change (max-staleness " + DurationText.of(maxStaleness) + ")";
        }

        @Override
        public Duration period(Instant now) {
            return maxStaleness;
        }
    }

    /** Refresh this long after the view was last known fresh. */
    record Every(Duration interval) implements Schedule {

        @Override
        public Optional<Instant> nextDue(Instant freshAsOf, Instant now) {
            return Optional.of(freshAsOf == null ? now : freshAsOf.plus(interval));
        }

        @Override
        public String describe() {
            return DurationText.of(interval);
        }

        @Override
        public Duration period(Instant now) {
            return interval;
        }
    }

    /**
     * Refresh at the cron expression's times, read in {@code zone}. A view is due at the first fire
     * time after it was last fresh, so a refresh missed while mvrefresh was down runs once on start,
     * not once per missed fire time.
     */
    record CronSchedule(String expression, ZoneId zone, ExecutionTime executionTime) implements Schedule {

        // Five fields like crontab and pg_cron: what the people replacing a cron job already write.
        private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
        private static final Duration FALLBACK_PERIOD = Duration.ofDays(1);

        /**
         * Parses a five-field cron expression; throws IllegalArgumentException with the parser's
         * reason, or when the expression never fires after {@code now} (e.g. {@code 0 0 30 2 *}).
         */
        public static CronSchedule parse(String expression, ZoneId zone, Instant now) {
            Cron cron = PARSER.parse(expression.trim());
            cron.validate();
            CronSchedule schedule = new CronSchedule(expression.trim(), zone, ExecutionTime.forCron(cron));
            if (schedule.nextFire(now).isEmpty()) {
                throw new IllegalArgumentException("it never fires (no such date)");
            }
            return schedule;
        }

        @Override
        public Optional<Instant> nextDue(Instant freshAsOf, Instant now) {
            return freshAsOf == null ? Optional.of(now) : nextFire(freshAsOf);
        }

        private Optional<Instant> nextFire(Instant after) {
            Optional<Instant> next = executionTime.nextExecution(ZonedDateTime.ofInstant(after, zone))
                    .map(ZonedDateTime::toInstant);
            if (next.isEmpty()) {
                return next;
            }
            // The parser passes over a time the clocks skip (02:30 on a spring-forward night), so a
            // nightly job would not run that night. Like cron, run it when the clocks jump instead.
            ZoneRules rules = zone.getRules();
            for (ZoneOffsetTransition transition = rules.nextTransition(after); transition != null
                    && transition.getInstant().isBefore(next.get()); transition = rules.nextTransition(transition.getInstant())) {
                if (transition.isGap() && firesDuring(transition)) {
                    return Optional.of(transition.getInstant());
                }
            }
            return next;
        }

        /** Whether the expression names a local time the transition skips. */
        private boolean firesDuring(ZoneOffsetTransition gap) {
            for (LocalDateTime local = gap.getDateTimeBefore(); local
                    .isBefore(gap.getDateTimeAfter()); local = local.plusMinutes(1)) {
                if (executionTime.isMatch(ZonedDateTime.of(local, gap.getOffsetBefore()))) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String describe() {
            return "UTC".equals(zone.getId()) || "Z".equals(zone.getId()) ? expression : expression + " (" + zone.getId() + ")";
        }

        @Override
        public Duration period(Instant now) {
            return nextFire(now).flatMap(next -> nextFire(next).map(after -> Duration.between(next, after)))
                    .orElse(FALLBACK_PERIOD);
        }

        // The same expression in the same zone is the same schedule: a catalog rescan that reads an
        // unchanged comment again must not look like a change.
        @Override
        public boolean equals(Object other) {
            return other instanceof CronSchedule cron && cron.expression.equals(expression) && cron.zone.equals(zone);
        }

        @Override
        public int hashCode() {
            return Objects.hash(expression, zone);
        }
    }
}
