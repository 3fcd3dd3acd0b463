package io.mvrefresh.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mvrefresh.support.ConfigMappings;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The same mapping and validation startup runs, on plain properties. */
class ViewSettingsResolverTest {

    private static MvRefreshConfig load(Map<String, String> properties) {
        return ConfigMappings.load(properties);
    }

    private static ViewSettingsResolver resolve(Map<String, String> properties) {
        return ConfigMappings.validate(properties).views();
    }

    @Test
    void shouldMergeViewOverridesOverDefaults() {
        ViewSettingsResolver resolver = resolve(Map.of(
                "mvrefresh.defaults.interval", "5m",
                "mvrefresh.defaults.priority", "low",
                "mvrefresh.views.\"public.mv_daily\".priority", "critical",
                "mvrefresh.views.\"public.mv_daily\".lock-timeout", "2s",
                "mvrefresh.views.\"public.mv_daily\".invalidate.patterns", "cache:daily:*,cache:totals:*",
                "mvrefresh.views.\"public.mv_weekly\".cron", "0 3 * * 1"));

        ViewSettings daily = resolver.settingsFor(new ViewId("public", "mv_daily"));
        assertThat(daily.priority()).isEqualTo(Priority.CRITICAL);
        assertThat(daily.schedule()).isEqualTo(new Schedule.Every(Duration.ofMinutes(5)));
        assertThat(daily.lockTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(daily.timeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(daily.invalidation().patterns()).containsExactly("cache:daily:*", "cache:totals:*");
        assertThat(daily.configured()).isTrue();
        assertThat(resolver.settingsFor(new ViewId("public", "mv_weekly")).schedule().describe()).isEqualTo("0 3 * * 1");

        ViewSettings discovered = resolver.settingsFor(new ViewId("public", "mv_other"));
        assertThat(discovered.priority()).isEqualTo(Priority.LOW);
        assertThat(discovered.configured()).isFalse();
        assertThat(discovered.mode()).isEqualTo(RefreshMode.AUTO);
    }

    @Test
    void shouldDefaultToFifteenMinutesMediumAuto() {
        ViewSettings settings = resolve(Map.of()).settingsFor(new ViewId("public", "mv"));
        assertThat(settings.schedule()).isEqualTo(new Schedule.Every(Duration.ofMinutes(15)));
        assertThat(settings.priority()).isEqualTo(Priority.MEDIUM);
        assertThat(settings.mode()).isEqualTo(RefreshMode.AUTO);
        assertThat(settings.timeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(settings.lockTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.skipUnchanged()).isTrue();
        assertThat(settings.enabled()).isTrue();
    }

    @Test
    void shouldNameEveryBadKeyAndValueInOneMessage() {
        assertThatThrownBy(() -> resolve(Map.of(
                "mvrefresh.concurrency", "-1",
                "mvrefresh.defaults.priority", "urgent",
                "mvrefresh.views.\"public.mv_daily\".mode", "fast",
                "mvrefresh.views.\"public.mv_daily\".interval", "5m",
                "mvrefresh.views.\"public.mv_daily\".cron", "*/5 * * * *",
                "mvrefresh.views.\"public.mv_weekly\".cron", "every monday",
                "mvrefresh.views.\"mv_no_schema\".priority", "high")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("mvrefresh.concurrency=-1: must be at least 1")
                .hasMessageContaining("mvrefresh.defaults.priority=urgent: use one of critical, high, medium, low")
                .hasMessageContaining("mvrefresh.views.\"public.mv_daily\".mode=fast: use one of auto, concurrent, blocking")
                .hasMessageContaining(
                        "mvrefresh.views.\"public.mv_daily\".interval=5m and mvrefresh.views.\"public.mv_daily\".cron=*/5 * * * *: set either interval or cron, not both")
                .hasMessageContaining("mvrefresh.views.\"public.mv_weekly\".cron=every monday: not a five-field cron expression")
                .hasMessageContaining("mvrefresh.views.\"mv_no_schema\": not a view name: name it schema.name");
    }

    @Test
    void shouldNameBothKeysWhenTwoSettingsDisagree() {
        assertThatThrownBy(() -> resolve(Map.of(
                "mvrefresh.health.liveness-timeout", "2s",
                "mvrefresh.scheduler.poll-interval", "1s",
                "mvrefresh.concurrency", "2",
                "mvrefresh.scheduler.reserved-for-critical", "2")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("mvrefresh.health.liveness-timeout=2s: must be at least three poll intervals"
                        + " (mvrefresh.scheduler.poll-interval=1s)")
                .hasMessageContaining("mvrefresh.scheduler.reserved-for-critical=2: must be less than mvrefresh.concurrency=2");
    }

    @Test
    void shouldRejectAnUnparsableDurationNamingKeyAndValue() {
        assertThatThrownBy(() -> resolve(Map.of("mvrefresh.views.\"public.mv_daily\".interval", "fortnightly")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("mvrefresh.views.\"public.mv_daily\".interval=fortnightly: not a duration");
    }

    @Test
    void shouldRejectUnknownKeysUnderThePrefixSuggestingTheClosest() {
        assertThatThrownBy(() -> resolve(Map.of(
                "mvrefresh.concurency", "4",
                "mvrefresh.views.\"public.mv_daily\".intervall", "5m",
                "mvrefresh.defaults.priorty", "high",
                "mvrefresh.discovery.schemas[0]", "public")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("mvrefresh.concurency: not a setting of mvrefresh (did you mean mvrefresh.concurrency?)")
                .hasMessageContaining("mvrefresh.views.\"public.mv_daily\".intervall: not a setting of mvrefresh"
                        + " (did you mean mvrefresh.views.\"public.mv_daily\".interval?)")
                .hasMessageContaining(
                        "mvrefresh.defaults.priorty: not a setting of mvrefresh (did you mean mvrefresh.defaults.priority?)")
                .hasMessageNotContaining("schemas[0]");
    }

    @Test
    void shouldAcceptOnlyTrueOrFalseForSwitches() {
        assertThatThrownBy(() -> resolve(Map.of(
                "mvrefresh.defaults.skip-unchanged", "maybe",
                "mvrefresh.views.\"public.mv_daily\".enabled", "ture",
                "mvrefresh.health.ready-requires-database", "yes")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("mvrefresh.defaults.skip-unchanged=maybe: write true or false")
                .hasMessageContaining("mvrefresh.views.\"public.mv_daily\".enabled=ture: write true or false")
                .hasMessageContaining("mvrefresh.health.ready-requires-database=yes: write true or false");
        assertThat(resolve(Map.of("mvrefresh.views.\"public.mv_daily\".enabled", "FALSE"))
                .settingsFor(new ViewId("public", "mv_daily")).enabled()).isFalse();
    }

    @Test
    void shouldListConversionAndRuleProblemsInOneMessage() {
        assertThatThrownBy(() -> resolve(Map.of(
                "mvrefresh.concurrency", "two",
                "mvrefresh.concurency", "2",
                "mvrefresh.defaults.priority", "urgent")))
                .isInstanceOf(InvalidConfigurationException.class)
                .satisfies(e -> assertThat(((InvalidConfigurationException) e).problems()).hasSize(3));
    }

    @Test
    void shouldTrimTheAdminToken() {
        assertThat(ConfigMappings.validate(Map.of("mvrefresh.admin.token", "s3cret\n")).global().admin().token())
                .contains("s3cret");
        assertThat(ConfigMappings.validate(Map.of("mvrefresh.admin.token", "  ")).global().admin().token()).isEmpty();
    }

    @Test
    void shouldRejectNonPositiveDurations() {
        assertThatThrownBy(() -> resolve(Map.of("mvrefresh.views.\"public.mv\".timeout", "0s")))
                .hasMessageContaining("mvrefresh.views.\"public.mv\".timeout=0s: must be positive");
    }

    @Test
    void shouldRejectADependsOnCycleNamingItsViews() {
        assertThatThrownBy(() -> resolve(Map.of(
                "mvrefresh.views.\"public.mv_a\".depends-on", "public.mv_b",
                "mvrefresh.views.\"public.mv_b\".depends-on", "public.mv_c",
                "mvrefresh.views.\"public.mv_c\".depends-on", "public.mv_a",
                "mvrefresh.views.\"public.mv_d\".depends-on", "public.mv_a")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("depends-on forms a cycle: public.mv_a -> public.mv_b -> public.mv_c -> public.mv_a");
    }

    @Test
    void shouldAcceptDependsOnChainsWithoutCycles() {
        ViewSettingsResolver resolver = resolve(Map.of(
                "mvrefresh.views.\"public.mv_a\".depends-on", "public.mv_b,public.mv_c",
                "mvrefresh.views.\"public.mv_b\".depends-on", "public.mv_c"));
        assertThat(resolver.settingsFor(new ViewId("public", "mv_a")).dependsOn())
                .containsExactlyInAnyOrder(new ViewId("public", "mv_b"), new ViewId("public", "mv_c"));
    }

    @Test
    void shouldComputeCronDueTimesInUtcFromTheLastSuccess() {
        Schedule schedule = resolve(Map.of("mvrefresh.views.\"public.mv\".cron", "30 3 * * *"))
                .settingsFor(new ViewId("public", "mv")).schedule();
        java.time.Instant lastSuccess = java.time.Instant.parse("2026-11-20T03:30:05Z");
        java.time.Instant now = java.time.Instant.parse("2026-11-20T12:00:00Z");

        assertThat(schedule.nextDue(lastSuccess, now)).contains(java.time.Instant.parse("2026-11-21T03:30:00Z"));
        assertThat(schedule.nextDue(null, now)).as("never refreshed: due now").contains(now);
        assertThat(schedule.period(now)).isEqualTo(Duration.ofDays(1));
        // Down for three days: made up once, not once per missed fire time.
        assertThat(schedule.nextDue(lastSuccess, java.time.Instant.parse("2026-11-23T12:00:00Z")))
                .contains(java.time.Instant.parse("2026-11-21T03:30:00Z"));
    }

    @Test
    void shouldRejectACronExpressionThatNeverFiresNamingItsKey() {
        assertThatThrownBy(() -> resolve(Map.of("mvrefresh.views.\"public.mv_feb\".cron", "0 0 30 2 *")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("mvrefresh.views.\"public.mv_feb\".cron=0 0 30 2 *")
                .hasMessageContaining("never fires");
    }

    @Test
    void shouldReadCronInTheConfiguredTimeZone() {
        ViewSettingsResolver resolver = resolve(Map.of(
                "mvrefresh.defaults.cron-timezone", "Europe/Berlin",
                "mvrefresh.views.\"public.mv_local\".cron", "0 3 * * *",
                "mvrefresh.views.\"public.mv_tokyo\".cron", "0 3 * * *",
                "mvrefresh.views.\"public.mv_tokyo\".cron-timezone", "Asia/Tokyo"));
        java.time.Instant lastSuccess = java.time.Instant.parse("2026-11-20T12:00:00Z");

        assertThat(resolver.settingsFor(new ViewId("public", "mv_local")).schedule().nextDue(lastSuccess, lastSuccess))
                .as("03:00 in Berlin is 02:00 UTC in winter").contains(java.time.Instant.parse("2026-11-21T02:00:00Z"));
        assertThat(resolver.settingsFor(new ViewId("public", "mv_tokyo")).schedule().nextDue(lastSuccess, lastSuccess))
                .contains(java.time.Instant.parse("2026-11-20T18:00:00Z"));
        assertThatThrownBy(() -> resolve(Map.of("mvrefresh.defaults.cron-timezone", "Mars/Olympus")))
                .hasMessageContaining("mvrefresh.defaults.cron-timezone=Mars/Olympus: not a time zone");
    }

    @Test
    void shouldNameAViewWhoseSchemaContainsADotWithQuotes() {
        ViewSettingsResolver resolver = resolve(Map.of(
                "mvrefresh.views.\"\\\"my.schema\\\".mv_daily\".priority", "critical"));

        ViewId dotted = new ViewId("my.schema", "mv_daily");
        assertThat(resolver.configuredViews()).containsOnlyKeys(dotted);
        assertThat(resolver.settingsFor(dotted).priority()).isEqualTo(Priority.CRITICAL);
        assertThat(resolver.settingsFor(new ViewId("my", "schema.mv_daily")).configured()).isFalse();
        assertThatThrownBy(() -> resolve(Map.of("mvrefresh.views.\"my.schema.mv_daily\".priority", "high")))
                .hasMessageContaining("not a view name")
                .hasMessageContaining("\"my.schema\".mv_daily");
    }
}
