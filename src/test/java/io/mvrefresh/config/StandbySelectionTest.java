package io.mvrefresh.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mvrefresh.support.ConfigMappings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StandbySelectionTest {

    @Test
    void shouldSelectEveryStandbyByDefaultNoneWhenOffAndThoseMatchingAGlobOtherwise() {
        assertThat(StandbySelection.parse("all").orElseThrow().selects("walreceiver")).isTrue();
        assertThat(StandbySelection.parse(" OFF ").orElseThrow().selects("walreceiver")).isFalse();
        StandbySelection reporting = StandbySelection.parse("reporting-*, analytics").orElseThrow();
        assertThat(reporting.selects("reporting-1")).isTrue();
        assertThat(reporting.selects("analytics")).isTrue();
        assertThat(reporting.selects("analytics-2")).isFalse();
        assertThat(reporting.selects("walreceiver")).isFalse();
        assertThat(reporting).hasToString("reporting-*,analytics");
    }

    @Test
    void shouldDefaultToAllStandbysAndTenSeconds() {
        GlobalSettings.Invalidation invalidation = ConfigMappings.validate(Map.of()).global().invalidation();
        assertThat(invalidation.replicas()).isEqualTo(StandbySelection.ALL);
        assertThat(invalidation.replicaWaitMax()).hasSeconds(10);
    }

    @Test
    void shouldNameTheSettingWhenAGlobIsEmptyOrTheWaitIsNotADuration() {
        assertThatThrownBy(() -> ConfigMappings.validate(Map.of("mvrefresh.invalidation.replicas", "reporting-*,,x",
                "mvrefresh.invalidation.replica-wait-max", "soon")))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("mvrefresh.invalidation.replicas=reporting-*,,x: write all, off, or a comma list")
                .hasMessageContaining("mvrefresh.invalidation.replica-wait-max=soon: not a duration");
    }
}
