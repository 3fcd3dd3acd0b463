package io.mvrefresh.cache;

import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.config.InvalidationRules;
import io.mvrefresh.config.SettingsInEffect;
import io.mvrefresh.state.OwedInvalidationStore;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Picks up cache invalidations that committed refreshes owe (recorded in {@code view_state} with
 * the refresh) and that nobody is carrying out: this instance's own after a restart, and any
 * instance's that stayed owed for longer than {@link #ORPHANED_AFTER} (its replica was killed,
 * or cannot reach Redis). Doing one twice is harmless: every rule is idempotent.
 */
@ApplicationScoped
public class OwedInvalidations {

    private static final Duration ORPHANED_AFTER = Duration.ofMinutes(1);

    private final OwedInvalidationStore store;
    private final InvalidationWorker worker;
    private final SettingsInEffect settings;
    private final Clock clock;
    private final String instance;
    private final AtomicBoolean firstRound = new AtomicBoolean(true);

    public OwedInvalidations(OwedInvalidationStore store, InvalidationWorker worker, SettingsInEffect settings, Clock clock,
            GlobalSettings config) {
        this.store = store;
        this.worker = worker;
        this.settings = settings;
        this.clock = clock;
        this.instance = config.instance();
    }

    /**
     * One round of the periodic claim: this instance's own owed invalidations on the first round
     * (a restart, its queue empty), orphans of other instances on every round.
     */
    public Uni<Void> claimRound() {
        boolean includeOwn = firstRound.compareAndSet(true, false);
        return claim(includeOwn).replaceWithVoid();
    }

    /**
     * Claims what is owed and queues it; answers how many. {@code includeOwn}: also this
     * instance's own, whatever their age (at startup, when its queue is empty); otherwise only
     * those owed for longer than {@link #ORPHANED_AFTER}.
     */
    public Uni<Integer> claim(boolean includeOwn) {
        Instant now = clock.instant();
        return store.claimOwedInvalidations(includeOwn ? instance : null, now.minus(ORPHANED_AFTER), now, instance)
                .flatMap(owed -> {
                    Uni<Void> cleared = Uni.createFrom().voidItem();
                    for (OwedInvalidationStore.OwedInvalidation invalidation : owed) {
                        InvalidationRules rules = settings.settingsFor(invalidation.view()).invalidation();
                        if (rules.isEmpty()) {
                            // Its rules were removed from the configuration since: nothing to do any more.
                            cleared = cleared.call(() -> store.clearOwedInvalidation(invalidation.view(), invalidation.runId()));
                            continue;
                        }
                        Log.infof("refresh #%d %s: its cache invalidation was not done yet; doing it now", invalidation.runId(),
                                invalidation.view().quoted());
                        worker.submit(InvalidationRequest.of(invalidation.view(), invalidation.runId(),
                                invalidation.refreshedAt() == null ? now : invalidation.refreshedAt(),
                                InvalidationRequest.POSITION_UNKNOWN, rules));
                    }
                    return cleared.replaceWith(owed.size());
                });
    }
}
