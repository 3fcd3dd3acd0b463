package io.mvrefresh.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading the {@code mvrefresh:} line of a view's comment. */
class CommentSettingsTest {

    @Test
    void shouldReadThePairsAfterTheMarkerAnywhereOnALine() {
        CommentSettings parsed = CommentSettings.parse("Daily sales. mvrefresh: interval=5m priority=high max-staleness=2m");

        assertThat(parsed.present()).isTrue();
        assertThat(parsed.problems()).isEmpty();
        assertThat(parsed.values()).containsExactlyInAnyOrderEntriesOf(
                Map.of("interval", "5m", "priority", "high", "max-staleness", "2m"));
    }

    @Test
    void shouldReadQuotedValuesListsAndSeveralLines() {
        CommentSettings parsed = CommentSettings.parse("""
                Nightly totals, see the runbook.
                mvrefresh: cron="30 2 * * *" cron-timezone=Europe/Berlin
                mvrefresh: invalidate.patterns=totals:*,report:* invalidate.generation-key="gen \\"totals\\""
                """);

        assertThat(parsed.problems()).isEmpty();
        assertThat(parsed.values()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "cron", "30 2 * * *",
                "cron-timezone", "Europe/Berlin",
                "invalidate.patterns", "totals:*,report:*",
                "invalidate.generation-key", "gen \"totals\""));
    }

    @Test
    void shouldIgnoreCommentsWithoutTheMarkerAndTheMarkerInsideAWord() {
        assertThat(CommentSettings.parse(null).present()).isFalse();
        assertThat(CommentSettings.parse("Daily sales, refreshed by mvrefresh").present()).isFalse();
        assertThat(CommentSettings.parse("see notmvrefresh: interval=1m").present()).isFalse();
        assertThat(CommentSettings.parse("mvrefresh:").present()).as("a marker with nothing after it").isTrue();
    }

    @Test
    void shouldNameEveryPairItCannotRead() {
        CommentSettings parsed = CommentSettings.parse(
                "mvrefresh: intreval=5m priority high cron=\"0 3 * * * after-sql=DELETE");

        assertThat(parsed.problems()).containsExactly(
                "intreval=5m: not a per-view setting (did you mean interval?); one of " + String.join(", ", ViewKey.names()),
                "priority: write key=value (e.g. interval=5m)",
                "high: write key=value (e.g. interval=5m)",
                "cron=\"0 3 * * * after-sql=DELETE: the quote is not closed");
    }

    @Test
    void shouldRefuseAfterSqlAndKeysSetTwice() {
        CommentSettings parsed = CommentSettings.parse("mvrefresh: after-sql=TRUNCATE priority=low priority=high");

        assertThat(parsed.values()).containsExactly(Map.entry("priority", "low"));
        assertThat(parsed.problems()).hasSize(2);
        assertThat(parsed.problems().get(0)).startsWith("after-sql=TRUNCATE: not read from a comment");
        assertThat(parsed.problems().get(1)).isEqualTo("priority=high: set twice in the comment (first priority=low)");
    }
}
