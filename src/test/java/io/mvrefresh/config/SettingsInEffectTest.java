package io.mvrefresh.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.support.ConfigMappings;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Settings from views' comments, layered between the properties and the defaults. */
class SettingsInEffectTest {

    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
    private static final ViewId SALES = new ViewId("shop", "mv_sales");
    private static final ViewId OTHER = new ViewId("shop", "mv_other");

    private static SettingsInEffect settings(Map<String, String> properties) {
        Configuration configuration = ConfigMappings.validate(properties);
        return new SettingsInEffect(configuration.views(), configuration.global().discovery().commentSettings());
    }

    @Test
    void shouldTakeTheCommentsSettingsOverTheDefaultsAndSayWhereEachComesFrom() {
        SettingsInEffect settings = settings(Map.of("mvrefresh.defaults.priority", "low"));

        settings.applyComments(Map.of(SALES, "Daily sales. mvrefresh: interval=5m priority=high invalidate.tags=sales",
                OTHER, "no settings here"), NOW);

        ViewSettings sales = settings.settingsFor(SALES);
        assertThat(sales.schedule()).isEqualTo(new Schedule.Every(Duration.ofMinutes(5)));
        assertThat(sales.priority()).isEqualTo(Priority.HIGH);
        assertThat(sales.invalidation().tags()).containsExactly("sales");
        assertThat(sales.configured()).as("a comment does not make a view configured").isFalse();
        assertThat(sales.commentProblem()).isEmpty();
        assertThat(sales.sources().byKey()).containsEntry("interval", "comment").containsEntry("priority", "comment")
                .containsEntry("invalidate.tags", "comment").containsEntry("timeout", "default");
        assertThat(settings.settingsFor(OTHER).priority()).isEqualTo(Priority.LOW);
    }

    @Test
    void shouldLetExplicitPropertiesBeatTheCommentKeyByKeyAndScheduleAsAWhole() {
        SettingsInEffect settings = settings(Map.of(
                "mvrefresh.views.\"shop.mv_sales\".priority", "critical",
                "mvrefresh.views.\"shop.mv_sales\".cron", "0 3 * * *"));

        settings.applyComments(Map.of(SALES, "mvrefresh: priority=low interval=5m timeout=1m"), NOW);

        ViewSettings sales = settings.settingsFor(SALES);
        assertThat(sales.priority()).isEqualTo(Priority.CRITICAL);
        assertThat(sales.schedule().describe()).as("the properties' cron, not interval and cron both").isEqualTo("0 3 * * *");
        assertThat(sales.timeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(sales.configured()).isTrue();
        assertThat(sales.commentProblem()).isEmpty();
        assertThat(sales.sources().byKey()).containsEntry("priority", "properties").containsEntry("cron", "properties")
                .containsEntry("interval", "default").containsEntry("timeout", "comment");
    }

    @Test
    void shouldKeepTheLastGoodSettingsWhenACommentBreaksAndGoBackWhenItIsRemoved() {
        SettingsInEffect settings = settings(Map.of());
        settings.applyComments(Map.of(SALES, "mvrefresh: interval=5m priority=high"), NOW);

        settings.applyComments(Map.of(SALES, "mvrefresh: interval=soon minutes priority=urgent"), NOW);

        ViewSettings broken = settings.settingsFor(SALES);
        assertThat(broken.schedule()).isEqualTo(new Schedule.Every(Duration.ofMinutes(5)));
        assertThat(broken.priority()).isEqualTo(Priority.HIGH);
        assertThat(broken.commentProblem()).hasValueSatisfying(problem -> assertThat(problem)
                .startsWith("comment on shop.mv_sales: ")
                .contains("minutes: write key=value")
                .contains("interval=soon: not a duration")
                .contains("priority=urgent: use one of"));

        settings.applyComments(Map.of(SALES, "mvrefresh: interval=10m"), NOW);
        assertThat(settings.settingsFor(SALES).schedule()).isEqualTo(new Schedule.Every(Duration.ofMinutes(10)));
        assertThat(settings.settingsFor(SALES).priority()).as("priority no longer in the comment").isEqualTo(Priority.MEDIUM);
        assertThat(settings.settingsFor(SALES).commentProblem()).isEmpty();

        settings.applyComments(Map.of(SALES, ""), NOW);
        assertThat(settings.settingsFor(SALES).schedule()).isEqualTo(new Schedule.Every(Duration.ofMinutes(15)));
        assertThat(settings.settingsFor(SALES).sources()).isEqualTo(SettingSources.DEFAULTS);
    }

    @Test
    void shouldRefuseABadFirstCommentOnTheConfiguredSettings() {
        SettingsInEffect settings = settings(Map.of("mvrefresh.views.\"shop.mv_sales\".priority", "high"));

        settings.applyComments(Map.of(SALES, "mvrefresh: max-staleness=-1m depends-on=shop.mv_sales"), NOW);

        ViewSettings sales = settings.settingsFor(SALES);
        assertThat(sales.priority()).isEqualTo(Priority.HIGH);
        assertThat(sales.maxStaleness()).isEmpty();
        assertThat(sales.commentProblem()).hasValueSatisfying(problem -> assertThat(problem)
                .contains("max-staleness=-1m: must be positive")
                .contains("depends-on=shop.mv_sales: a view cannot depend on itself"));
    }

    @Test
    void shouldForgetTheCommentOfAViewNoLongerManagedAndReadNoCommentWhenTurnedOff() {
        SettingsInEffect settings = settings(Map.of());
        settings.applyComments(Map.of(SALES, "mvrefresh: priority=high"), NOW);
        settings.applyComments(Map.of(), NOW);
        assertThat(settings.settingsFor(SALES).priority()).isEqualTo(Priority.MEDIUM);

        SettingsInEffect off = settings(Map.of("mvrefresh.discovery.comment-settings", "false"));
        off.applyComments(Map.of(SALES, "mvrefresh: priority=high"), NOW);
        assertThat(off.settingsFor(SALES).priority()).isEqualTo(Priority.MEDIUM);
    }
}
