package io.mvrefresh.support;

import io.mvrefresh.demo.DemoDatabase;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Arrays;
import java.util.Map;

/**
 * Gives one test class a {@link StreamingPair} of its own: the application uses a database on its
 * primary, loaded with the star schema and the fixtures the class names, and the test reads the
 * same database on the standby as an application reading replicas would. Args: {@code standby}
 * (the standby's {@code application_name}), optional {@code fixtures}.
 */
public class DatabaseWithStandby implements QuarkusTestResourceLifecycleManager {

    public static final String DATABASE = "mvrefresh_replicas";

    private static volatile StreamingPair current;

    private String standbyName;
    private String[] fixtures = new String[0];

    /** The pair of the running test class. */
    public static StreamingPair pair() {
        if (current == null) {
            throw new IllegalStateException("this test class did not ask for a standby (DatabaseWithStandby)");
        }
        return current;
    }

    @Override
    public void init(Map<String, String> initArgs) {
        standbyName = initArgs.getOrDefault("standby", "standby-1");
        String names = initArgs.getOrDefault("fixtures", "");
        fixtures = names.isBlank() ? new String[0] : names.split(",");
    }

    @Override
    public Map<String, String> start() {
        current = StreamingPair.start(standbyName);
        current.primary("postgres").execute("CREATE DATABASE " + DATABASE);
        Postgres primary = current.primary(DATABASE);
        primary.execute(DemoDatabase.readStarSchema());
        Arrays.stream(fixtures).map(String::trim).filter(name -> !name.isEmpty())
                .forEach(fixture -> primary.execute(IsolatedDatabase.fixture(fixture)));
        return Map.of(
                "quarkus.datasource.reactive.url", primary.reactiveUrl(),
                "quarkus.datasource.username", "postgres",
                "quarkus.datasource.password", "postgres");
    }

    @Override
    public void stop() {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
