package io.mvrefresh.lifecycle;

import io.mvrefresh.config.DurationText;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Background work on a period (catalog rescan, history prune, demo data) that survives any one
 * bad run: a run still in progress when the next is due is not stacked on (the next waits for the
 * next period), and a streak of failures is logged once at WARN with its cause, then once when it
 * ends.
 */
final class PeriodicTask {

    private final String name;
    private final Duration period;
    private final Supplier<Uni<Void>> work;
    private final AtomicBoolean running = new AtomicBoolean();
    private int failures;
    private long timer = -1;

    PeriodicTask(String name, Duration period, Supplier<Uni<Void>> work) {
        this.name = name;
        this.period = period;
        this.work = work;
    }

    /** Runs it now and then every period. */
    void start(Vertx vertx) {
        runOnce();
        timer = vertx.setPeriodic(Math.max(1, period.toMillis()), id -> runOnce());
    }

    /** Runs it every period, the first time a period from now. */
    void startAfterOnePeriod(Vertx vertx) {
        timer = vertx.setPeriodic(Math.max(1, period.toMillis()), id -> runOnce());
    }

    void stop(Vertx vertx) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Runs the work unless it is still running from before. */
    void runOnce() {
        if (!running.compareAndSet(false, true)) {
            Log.debugf("%s: still running from before, this round is skipped", name);
            return;
        }
        Uni<Void> round;
        try {
            round = work.get();
        } catch (RuntimeException e) {
            round = Uni.createFrom().failure(e);
        }
        round.subscribe().with(ignored -> succeeded(), this::failed);
    }

    private synchronized void succeeded() {
        running.set(false);
        if (failures > 0) {
            Log.infof("%s works again after %d failed attempt(s)", name, failures);
        }
        failures = 0;
    }

    private synchronized void failed(Throwable failure) {
        running.set(false);
        if (failures++ == 0) {
            Log.warnf("%s failed: %s. Retrying every %s; logged again when it works", name,
                    failure.getMessage() == null ? failure.toString() : failure.getMessage(), DurationText.of(period));
        } else {
            Log.debugf("%s failed again (attempt %d): %s", name, failures, failure.getMessage());
        }
    }
}
