package io.mvrefresh.lifecycle;

import io.mvrefresh.config.MvRefreshConfig;
import io.mvrefresh.config.ViewSettingsResolver;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Validates the configuration once; a bad value stops startup here with every problem named. */
public class ConfigurationProducer {

    @Produces
    @Singleton
    public ViewSettingsResolver viewSettings(MvRefreshConfig config) {
        return ViewSettingsResolver.validate(config);
    }
}
