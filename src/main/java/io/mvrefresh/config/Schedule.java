package io.mvrefresh.config;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/** When a view falls due, given when it was last refreshed successfully. */
public sealed interface Schedule {

    /**
     * The first instant the view is due after a successful refresh at {@code lastSuccess};
     * a view never refreshed is due immediately.
     */
    Instant nextDue(Instant lastSuccess, Instant now);

    /** How the schedule is written in configuration. */
    String describe();

    /** The longest a view waits between refreshes under this schedule, used to cap retry backoff. */
    Duration period(Instant now);

    /** Refresh this long after the last successful refresh. */
    record Every(Duration interval) implements Schedule {
        @Override
        public Instant nextDue(Instant lastSuccess, Instant now) {
            return lastSuccess == null ? now : lastSuccess.plus(interval);
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
     * Refresh at the cron expression's times (UTC). A view is due at the first fire time after
     * its last success, so a refresh missed while mvrefresh was down runs once on start, not once
     * per missed fire time.
     */
    record CronSchedule(String expression, ExecutionTime executionTime) implements Schedule {
        // Five fields like crontab and pg_cron: what the people replacing a cron job already write.
        private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

        /** Parses a five-field cron expression; throws IllegalArgumentException with the parser's reason. */
        public static CronSchedule parse(String expression) {
            Cron cron = PARSER.parse(expression.trim());
            cron.validate();
            return new CronSchedule(expression.trim(), ExecutionTime.forCron(cron));
        }

        @Override
        public Instant nextDue(Instant lastSuccess, Instant now) {
            if (lastSuccess == null) {
                return now;
            }
            return executionTime.nextExecution(ZonedDateTime.ofInstant(lastSuccess, ZoneOffset.UTC))
                    .map(ZonedDateTime::toInstant)
                    .orElse(Instant.MAX);
        }

        @Override
        public String describe() {
            return expression;
        }

        @Override
        public Duration period(Instant now) {
            ZonedDateTime at = ZonedDateTime.ofInstant(now, ZoneOffset.UTC);
            return executionTime.nextExecution(at)
                    .flatMap(next -> executionTime.nextExecution(next).map(after -> Duration.between(next, after)))
                    .orElse(Duration.ofHours(1));
        }
    }
}
