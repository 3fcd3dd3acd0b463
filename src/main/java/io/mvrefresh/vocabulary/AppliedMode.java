package io.mvrefresh.vocabulary;

import java.util.Locale;

/** The REFRESH that actually ran (or was attempted), as stored in {@code refresh_run.mode}. */
public enum AppliedMode {

    /** {@code REFRESH MATERIALIZED VIEW CONCURRENTLY}: readers keep reading. */
    CONCURRENT,
    /** Plain {@code REFRESH MATERIALIZED VIEW}: ACCESS EXCLUSIVE for its duration. */
    BLOCKING;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static AppliedMode fromLabel(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT));
    }
}
