package io.mvrefresh.support;

import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that does not follow real time: it starts at the real time the application started and
 * moves only when the test moves it, so "an hour later" takes no time and no deadline passes
 * because the machine was slow. Each reading is one microsecond after the one before (the
 * resolution PostgreSQL stores), so the stamps a run leaves keep the order in which things
 * happened: a test can still tell that a run started after another finished, or that two overlapped.
 * Replaces the application's clock in every test.
 */
@Alternative
@Priority(1)
@Singleton
public class MutableClock extends Clock {

    private final Instant start = Instant.now().truncatedTo(ChronoUnit.MICROS);
    private final AtomicLong micros = new AtomicLong();

    public void advance(Duration by) {
        micros.addAndGet(ChronoUnit.MICROS.between(Instant.EPOCH, Instant.EPOCH.plus(by)));
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return start.plus(micros.incrementAndGet(), ChronoUnit.MICROS);
    }
}
