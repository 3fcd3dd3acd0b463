package io.mvrefresh.support;

import io.mvrefresh.config.MvRefreshConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Map;

/** {@code mvrefresh.*} settings mapped exactly as at startup (unknown keys and bad values fail), without an application. */
public final class ConfigMappings {

    private ConfigMappings() {
    }

    public static MvRefreshConfig load(Map<String, String> properties) {
        return new SmallRyeConfigBuilder()
                .withMapping(MvRefreshConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .withDefaultValue("HOSTNAME", "test")
                .build()
                .getConfigMapping(MvRefreshConfig.class);
    }
}
