package io.mvrefresh.scheduling;

import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Gate;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Refreshes;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One tick at a time, whatever asks for ticks and however long PostgreSQL takes to answer. */
@QuarkusTest
@TestProfile(TickTest.Profile.class)
class TickTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of("mvrefresh.defaults.interval", "1h");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Test
    void shouldRunOneTickAtATimeAndExactlyOneMoreForAllThatAskedMeanwhile() {
        tickAndSettle(dispatcher);
        long before = Refreshes.loop().ticksCompleted();
        List<Uni<Void>> asked = new ArrayList<>();
        try (Gate gate = Gate.close(POSTGRES, "mvrefresh.view_state")) {
            // A hanging PostgreSQL: the tick's read of view_state waits for the lock.
            asked.add(Refreshes.loop().tick());
            gate.awaitWaiting(1);
            for (int i = 0; i < 20; i++) {
                asked.add(Refreshes.loop().tick());
            }
            assertThat(gate.waiting()).as("sessions waiting to read view_state").isEqualTo(1);
        }
        asked.forEach(tick -> tick.await().atMost(Duration.ofSeconds(20)));

        assertThat(Refreshes.loop().ticksCompleted() - before)
                .as("the tick that waited, then one for the twenty that asked meanwhile")
                .isEqualTo(2);
    }
}
