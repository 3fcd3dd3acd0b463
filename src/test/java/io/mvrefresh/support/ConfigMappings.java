package io.mvrefresh.support;

import io.mvrefresh.config.Configuration;
import io.mvrefresh.config.MvRefreshConfig;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code mvrefresh.*} settings mapped and validated exactly as at startup, without an application. */
public final class ConfigMappings {

    private ConfigMappings() {
    }

    private static SmallRyeConfig config(Map<String, String> properties) {
        return new SmallRyeConfigBuilder()
                .withMapping(MvRefreshConfig.class)
                // As in application.properties: mvrefresh reports unknown keys itself, with the rest.
                .withValidateUnknown(false)
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .withDefaultValue("HOSTNAME", "test")
                .build();
    }

    public static MvRefreshConfig load(Map<String, String> properties) {
        return config(properties).getConfigMapping(MvRefreshConfig.class);
    }

    /** Maps and validates {@code properties} as startup does. */
    public static Configuration validate(Map<String, String> properties) {
        return validate(properties, Instant.now());
    }

    public static Configuration validate(Map<String, String> properties, Instant now) {
        SmallRyeConfig config = config(properties);
        List<String> names = new ArrayList<>();
        config.getPropertyNames().forEach(names::add);
        return Configuration.validate(config.getConfigMapping(MvRefreshConfig.class), names, now);
    }
}
