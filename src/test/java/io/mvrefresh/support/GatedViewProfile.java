package io.mvrefresh.support;

import java.util.List;
import java.util.Map;

/**
 * One view, {@code gated.mv_one}, whose refresh the test holds back with a lock of its own
 * ({@link Gate}) for as long as it needs; shared by the test classes that need nothing else, so
 * the suite starts one application for them.
 */
public class GatedViewProfile extends DatabaseProfile {

    @Override
    protected Map<String, String> settings() {
        return Map.of(
                "mvrefresh.discovery.schemas", "gated",
                "mvrefresh.discovery.include", "mv_one",
                "mvrefresh.defaults.interval", "1d",
                "mvrefresh.defaults.lock-timeout", "5m",
                "mvrefresh.defaults.skip-unchanged", "false");
    }

    @Override
    protected List<String> fixtures() {
        return List.of("gated_views");
    }
}
