package io.mvrefresh.support;

import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.scheduling.TickLoop;
import io.mvrefresh.state.StateStore;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;
import java.time.Clock;

/**
 * The dispatcher loop with a switch that makes every tick after it hang, as a deadlock would: what
 * a liveness test needs, kept out of the production code. Enabled only by the profiles that list it
 * in {@code getEnabledAlternatives()}. A singleton: the loop has no constructor a client proxy could
 * use, and the test reaches this very instance.
 */
@Alternative
@Singleton
public class StallableTickLoop extends TickLoop {

    private volatile boolean stalled;

    public StallableTickLoop(Dispatcher dispatcher, StateStore store, Clock clock, GlobalSettings config) {
        super(dispatcher, store, clock, config);
    }

    /** Every tick from now on never completes. */
    public void stall() {
        stalled = true;
    }

    @Override
    public Uni<Void> tick() {
        return stalled ? Uni.createFrom().nothing() : super.tick();
    }
}
