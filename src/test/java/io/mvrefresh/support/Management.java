package io.mvrefresh.support;

import org.eclipse.microprofile.config.ConfigProvider;

/** URLs on the management interface (metrics and health) of the application under test. */
public final class Management {

    private Management() {
    }

    public static String url(String path) {
        int port = ConfigProvider.getConfig().getOptionalValue("quarkus.management.test-port", Integer.class).orElse(9001);
        return "http://localhost:" + port + path;
    }
}
