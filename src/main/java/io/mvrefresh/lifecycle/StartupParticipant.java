package io.mvrefresh.lifecycle;

import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Work that joins mvrefresh's start without the lifecycle knowing what it is (such as the dev-mode
 * demo data): a step before the first catalog scan, retried with the rest of startup until
 * PostgreSQL answers, and work repeated on a period once dispatching runs.
 */
public interface StartupParticipant {

    /**
     * Work repeated every {@code every} while mvrefresh runs, never two rounds at once.
     *
     * @param name for the log
     */
    record Periodic(String name, Duration every, Supplier<Uni<Void>> work) {
    }

    /** Done before the first catalog scan; a failure is retried with the rest of startup. */
    Uni<Void> beforeFirstScan();

    /** Work repeated once dispatching runs; empty for none. */
    Optional<Periodic> periodic();
}
