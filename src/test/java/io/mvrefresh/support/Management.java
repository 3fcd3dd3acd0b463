package io.mvrefresh.support;

import static io.restassured.RestAssured.given;

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

    /** The sum of every series of metric {@code name} on {@code /q/metrics}, whatever their labels; 0 when there is none. */
    public static double metric(String name) {
        String text = given().when().get(url("/q/metrics")).then().statusCode(200).extract()
                .asString();
        return text.lines().filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }
}
