package io.mvrefresh.support;

import org.eclipse.microprofile.config.ConfigProvider;

/** URLs on the management interface (metrics and health) of the application under test. */
public final class Management {

    private Management() {
    }

    /** The management port the application under test listens on (random in tests). */
    public static int port() {
        return ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
    }

    public static String url(String path) {
        return "http://localhost:" + port() + path;
    }
}
