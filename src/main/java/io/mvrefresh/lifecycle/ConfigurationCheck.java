package io.mvrefresh.lifecycle;

import io.mvrefresh.config.Configuration;
import io.mvrefresh.config.InvalidConfigurationException;
import io.quarkus.logging.Log;
import io.quarkus.runtime.PreventFurtherStepsException;
import io.quarkus.runtime.Quarkus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

/**
 * Whether the configuration is valid, decided once before anything else starts. When it is not,
 * the message listing every bad key and value is logged once, on its own, without a stack trace
 * (it is not a bug), and the application exits with status 1 before any port opens.
 */
@ApplicationScoped
public class ConfigurationCheck {

    private final Instance<Configuration> configuration;
    private volatile Boolean valid;

    public ConfigurationCheck(Instance<Configuration> configuration) {
        this.configuration = configuration;
    }

    /** Validates on first use; false (and the application on its way out) when the configuration is wrong. */
    public synchronized boolean valid() {
        if (valid == null) {
            try {
                configuration.get();
                valid = true;
            } catch (RuntimeException e) {
                InvalidConfigurationException invalid = invalidCause(e);
                if (invalid == null) {
                    throw e;
                }
                Log.error(invalid.getMessage());
                valid = false;
                // Thrown from the start event, this ends the start before the HTTP and management
                // ports open (no probe ever reaches a half-started process), without a stack trace.
                Quarkus.asyncExit(1);
                throw new PreventFurtherStepsException(1);
            }
        }
        return valid;
    }

    private static InvalidConfigurationException invalidCause(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof InvalidConfigurationException invalid) {
                return invalid;
            }
        }
        return null;
    }
}
