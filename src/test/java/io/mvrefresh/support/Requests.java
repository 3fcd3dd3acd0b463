package io.mvrefresh.support;

import io.mvrefresh.scheduling.Admission;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.scheduling.Ticket;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;

/** Requests made straight to the dispatcher, as the admin API and cascades make them. */
public final class Requests {

    private Requests() {
    }

    /** Requests a refresh that must be accepted; answers the run that will serve it. */
    public static Ticket accepted(Dispatcher dispatcher, ViewId view, Trigger trigger) {
        Admission admission = dispatcher.request(view, trigger).await().atMost(Duration.ofSeconds(10));
        if (admission instanceof Admission.Accepted accepted) {
            return accepted.ticket();
        }
        throw new AssertionError("expected a refresh of " + view + " to be accepted, got " + admission);
    }
}
