package io.mvrefresh.vocabulary;

import java.util.Locale;

/**
 * Why a run was queued, as stored in {@code refresh_run.trigger}. Requests for a view that is
 * already queued merge into one run, which carries the strongest of their triggers: an operator's
 * request beats a cascade, which beats the schedule, because only the schedule may conclude that
 * nothing needs doing.
 */
public enum Trigger {

    /** Its interval or cron schedule made it due. */
    SCHEDULE(0),
    /** It was already due when mvrefresh started. */
    STARTUP(0),
    /** An upstream view it reads was refreshed. */
    DEPENDENCY(1),
    /** Someone asked through the admin API. */
    ADMIN(2);

    private final int strength;

    Trigger(int strength) {
        this.strength = strength;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Trigger fromLabel(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT));
    }

    /**
     * Whether a run with this trigger may end as "nothing to do": skipped because nothing the view
     * reads changed, or dropped because another replica refreshed it meanwhile. A cascade may not:
     * its source's write counters are published up to a second after the source commits, too late
     * for the reader's check. An operator's request may not: it asks for a refresh, not a check.
     */
    public boolean mayConcludeNothingChanged() {
        return strength == 0;
    }

    /** The stronger of two triggers; the earlier one wins a tie, so a run keeps its original label. */
    public Trigger strongest(Trigger other) {
        return other.strength > strength ? other : this;
    }
}
