package io.mvrefresh.vocabulary;

import java.util.Locale;

/** How a run ended, as stored in {@code refresh_run.outcome} and used as the metric label. */
public enum Outcome {

    SUCCESS, FAILED, TIMEOUT, CANCELLED, SKIPPED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Outcome fromLabel(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT));
    }
}
