package io.mvrefresh.cache;

import io.mvrefresh.config.DurationText;
import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.config.StandbySelection;
import io.mvrefresh.metrics.CacheMetrics;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Holds a cache invalidation back until every selected streaming standby has replayed the
 * refresh's commit: a key removed earlier is refilled by the application's next cache miss from a
 * standby that still shows the old rows, and keeps them until the next refresh.
 *
 * <p>One statement on the primary answers for the whole queue: each standby's {@code replay_lsn}
 * in {@code pg_stat_replication}. Replay only moves forward, so the lowest position every selected
 * standby has passed covers every invalidation whose commit is before it, without asking again.
 * Logical-replication walsenders are listed there too, but are no standby anyone reads a view
 * from: they are left out. Standbys that stream from another standby (cascading) are not listed by
 * the primary and are not waited for.
 */
@ApplicationScoped
public class StandbyReplay {

    /** How often the standbys are asked while an invalidation waits: well under the replay delay anyone notices. */
    static final Duration POLL = Duration.ofMillis(20);

    private static final String STANDBY_POSITIONS = """
            SELECT r.application_name, (r.replay_lsn - '0/0'::pg_lsn)::bigint AS replayed,
                   (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint AS primary_position
              FROM (SELECT 1) AS one
              LEFT JOIN pg_stat_replication r
                ON NOT EXISTS (SELECT 1 FROM pg_replication_slots s WHERE s.active_pid = r.pid AND s.slot_type = 'logical')
            """;

    private final Pool pool;
    private final CacheMetrics metrics;
    private final Clock clock;
    private final StandbySelection selection;
    private final Duration waitMax;
    private final Set<String> reportedWithoutPosition = ConcurrentHashMap.newKeySet();
    /** Every selected standby had replayed up to here at the last look. */
    private volatile long replayedByAll;

    public StandbyReplay(Pool pool, CacheMetrics metrics, Clock clock, GlobalSettings settings) {
        this.pool = pool;
        this.metrics = metrics;
        this.clock = clock;
        this.selection = settings.invalidation().replicas();
        this.waitMax = settings.invalidation().replicaWaitMax();
    }

    /**
     * Completes once every selected standby has replayed {@code request}'s commit, or at
     * {@code replica-wait-max} after the commit (then with a warning). Never fails: a standby that
     * cannot be asked about is waited for no longer than that either.
     */
    public Uni<Void> awaitReplayed(InvalidationRequest request) {
        if (!selection.enabled() || (request.walPosition() > 0 && request.walPosition() <= replayedByAll)) {
            return Uni.createFrom().voidItem();
        }
        Instant began = clock.instant();
        Instant deadline = request.refreshedAt().plus(waitMax);
        return poll(request, request.walPosition(), deadline).invoke(waited -> {
            if (waited) {
                metrics.replicaWaited(Duration.between(began, clock.instant()));
            }
        }).replaceWithVoid();
    }

    /** Answers whether there was a standby to wait for. */
    private Uni<Boolean> poll(InvalidationRequest request, long position, Instant deadline) {
        return look().onFailure().recoverWithItem(failure -> {
            Log.debugf("standby replay positions could not be read: %s", failure.getMessage());
            return null;
        }).flatMap(look -> {
            // Unknown at the commit (recovered after a restart): the primary's position now is later still.
            long target = position > 0 || look == null ? position : look.primaryPosition();
            if (look != null && look.standbys().isEmpty()) {
                return Uni.createFrom().item(false);
            }
            if (look != null && target > 0 && look.replayedByAll() >= target) {
                return Uni.createFrom().item(true);
            }
            if (!clock.instant().isBefore(deadline)) {
                metrics.replicaWaitTimedOut();
                Log.warnf("refresh #%d %s: standby %s had not replayed the refresh %s after its commit; invalidating anyway"
                        + " (mvrefresh.invalidation.replica-wait-max)", request.runId(), request.view().quoted(),
                        look == null ? "state (unreadable)" : String.join(", ", look.behind(target)),
                        DurationText.of(waitMax));
                return Uni.createFrom().item(true);
            }
            return Uni.createFrom().voidItem().onItem().delayIt().by(POLL).flatMap(ignored -> poll(request, target, deadline));
        });
    }

    private Uni<Look> look() {
        return pool.query(STANDBY_POSITIONS).execute().map(rows -> {
            List<Standby> standbys = new ArrayList<>();
            long primaryPosition = 0;
            for (Row row : rows) {
                primaryPosition = row.getLong("primary_position");
                String name = row.getString("application_name");
                if (name != null && selection.selects(name)) {
                    Long replayed = row.getLong("replayed");
                    if (replayed == null && reportedWithoutPosition.add(name)) {
                        Log.warnf("standby %s reports no replay position: it is starting, or mvrefresh's database role cannot"
                                + " see it (grant it pg_monitor); invalidations wait for it up to replica-wait-max", name);
                    }
                    standbys.add(new Standby(name, replayed == null ? 0 : replayed));
                }
            }
            Look look = new Look(standbys, primaryPosition);
            // The newest look, not the highest ever: a standby that attached since starts behind.
            replayedByAll = standbys.isEmpty() ? 0 : look.replayedByAll();
            return look;
        });
    }

    private record Standby(String name, long replayed) {
    }

    private record Look(List<Standby> standbys, long primaryPosition) {

        long replayedByAll() {
            return standbys.stream().mapToLong(Standby::replayed).min().orElse(Long.MAX_VALUE);
        }

        List<String> behind(long target) {
            return standbys.stream().filter(standby -> standby.replayed() < target).map(Standby::name).toList();
        }
    }
}
