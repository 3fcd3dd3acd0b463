package io.mvrefresh.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smallrye.config.WithName;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The list of known keys (what typos are told apart from) stays in step with the mapping. */
class ConfigKeysTest {

    @Test
    void shouldKnowEveryKeyOfTheMappingAndNoOther() {
        List<String> keys = new ArrayList<>();
        collect(MvRefreshConfig.class, "mvrefresh.", keys);

        assertThat(keys).isNotEmpty().allSatisfy(key -> assertThat(Configuration.ConfigKeys.isKnown(key)).as(key).isTrue());
        assertThat(keys).hasSize(Configuration.ConfigKeys.GLOBAL_KEYS.size() + Configuration.ConfigKeys.DEFAULT_KEYS.size()
                + Configuration.ConfigKeys.VIEW_KEYS.size());
        assertThat(Configuration.ConfigKeys.isKnown("mvrefresh.defaults.depends-on")).as("only per view").isFalse();
        assertThat(ViewKey.names()).as("the per-view keys comments and sources use")
                .containsExactlyInAnyOrderElementsOf(Configuration.ConfigKeys.VIEW_KEYS);
        assertThat(Configuration.ConfigKeys.isKnown("mvrefresh.views.\"\\\"my.schema\\\".mv\".interval")).isTrue();
        assertThat(Configuration.ConfigKeys.isKnown("mvrefresh.views.public.mv.interval")).isFalse();
    }

    @Test
    void shouldNameInMessagesOnlyKeysTheMappingHas() {
        assertThat(Configuration.ConfigKeys.mapped("scheduler.aging")).isEqualTo("mvrefresh.scheduler.aging");
        assertThatThrownBy(() -> Configuration.ConfigKeys.mapped("scheduler.agin")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("mvrefresh.scheduler.agin");
        assertThatThrownBy(() -> Configuration.ConfigKeys.mapped("defaults.mode")).as("per view: named by ViewKey")
                .isInstanceOf(IllegalStateException.class);
    }

    private static void collect(Class<?> type, String prefix, List<String> keys) {
        for (Method method : type.getDeclaredMethods()) {
            WithName renamed = method.getAnnotation(WithName.class);
            String name = prefix + (renamed != null ? renamed.value() : kebab(method.getName()));
            Class<?> returned = method.getReturnType();
            if (returned == Map.class) {
                Class<?> value = (Class<?>) ((ParameterizedType) method.getGenericReturnType()).getActualTypeArguments()[1];
                collect(value, name + ".\"public.mv\".", keys);
            } else if (returned.isInterface() && returned.getPackageName().equals(MvRefreshConfig.class.getPackageName())) {
                collect(returned, name + ".", keys);
            } else {
                keys.add(name);
            }
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }
}
