package io.mvrefresh.state;

import java.util.Locale;

/** Why a run was queued, as stored in {@code refresh_run.trigger}. */
public enum Trigger {
    /** Its interval or cron schedule made it due. */
    SCHEDULE,
    /** Someone asked through the admin API. */
    ADMIN,
    /** An upstream view it reads was refreshed. */
    DEPENDENCY,
    /** It was already due when mvrefresh started. */
    STARTUP;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
