package io.mvrefresh.lifecycle;

import io.mvrefresh.config.Configuration;
import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.config.MvRefreshConfig;
import io.mvrefresh.config.SettingsInEffect;
import io.mvrefresh.config.ViewSettingsResolver;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Validates the configuration once; {@link ConfigurationCheck} runs it first at startup and stops
 * the application with every problem named when it is wrong.
 */
public class ConfigurationProducer {

    @Produces
    @Singleton
    public Configuration configuration(MvRefreshConfig config, Clock clock) {
        List<String> names = new ArrayList<>();
        ConfigProvider.getConfig().getPropertyNames().forEach(names::add);
        return Configuration.validate(config, names, clock.instant());
    }

    @Produces
    @Singleton
    public GlobalSettings globalSettings(Configuration configuration) {
        return configuration.global();
    }

    @Produces
    @Singleton
    public ViewSettingsResolver viewSettings(Configuration configuration) {
        return configuration.views();
    }

    @Produces
    @Singleton
    public SettingsInEffect settingsInEffect(Configuration configuration) {
        return new SettingsInEffect(configuration.views(), configuration.global().discovery().commentSettings());
    }
}
