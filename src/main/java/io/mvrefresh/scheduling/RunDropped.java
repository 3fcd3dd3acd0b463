package io.mvrefresh.scheduling;

/** A queued run that never started: its view was paused, disabled, dropped, or mvrefresh stopped. */
public final class RunDropped extends RuntimeException {

    RunDropped(Ticket ticket) {
        super(ticket + " was dropped before it started (the view was paused or disappeared, or mvrefresh is stopping)", null,
                false, false);
    }
}
