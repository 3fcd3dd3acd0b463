package io.mvrefresh.lifecycle;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Gate;
import io.mvrefresh.support.IsolatedDatabase;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.Refreshes;
import io.mvrefresh.support.Requests;
import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A connection that goes half-open (a failover without RST, a dropped NAT entry) answers nothing
 * and reports no error: the refresh on it ends at its client-side deadline and gives its slot
 * back, and the connection listening for notifications notices, listens again and hears the next.
 */
@QuarkusTest
@TestProfile(HalfOpenConnectionsTest.Profile.class)
class HalfOpenConnectionsTest {

    private static final ViewId VIEW = new ViewId("gated", "mv_one");
    private static final String CHANNEL = "mvrefresh_half_open";

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "gated",
                    "mvrefresh.discovery.include", "mv_one",
                    "mvrefresh.defaults.interval", "1d",
                    "mvrefresh.defaults.timeout", "2s",
                    "mvrefresh.defaults.lock-timeout", "1s",
                    "mvrefresh.changes.poll-interval", "1h",
                    "mvrefresh.changes.notify-channel", CHANNEL);
        }

        @Override
        protected List<String> fixtures() {
            return List.of("gated_views");
        }

        @Override
        protected boolean viaProxy() {
            return true;
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    /** The port PostgreSQL sees the session with this application name connected from. */
    private static int clientPort(String applicationNameLike) {
        return (int) POSTGRES.count("SELECT client_port FROM pg_stat_activity WHERE datname = current_database()"
                + " AND application_name LIKE ? ORDER BY backend_start DESC LIMIT 1", applicationNameLike);
    }

    @Test
    void shouldEndARefreshOnAHalfOpenConnectionReuseItsSlotAndListenAgain() {
        awaitStartupRefreshes(dispatcher);
        await().atMost(Duration.ofSeconds(20)).until(() -> POSTGRES.count("SELECT count(*) FROM pg_stat_activity"
                + " WHERE datname = current_database() AND application_name LIKE 'mvrefresh/%/listen'") == 1);
        int listener = clientPort("mvrefresh/%/listen");

        long runId;
        try (Gate gate = Gate.close(POSTGRES, "gated.gate")) {
            runId = Requests.accepted(dispatcher, VIEW, Trigger.ADMIN).runId();
            gate.awaitWaiting(1);
            assertThat(IsolatedDatabase.proxy().freeze(clientPort("mvrefresh/%/refresh"))).isTrue();
            assertThat(IsolatedDatabase.proxy().freeze(listener)).isTrue();
        }

        // The server ends the REFRESH (its lock timeout) and answers into the void: only the
        // client-side deadline ends the run.
        await().atMost(Duration.ofSeconds(40)).until(() -> POSTGRES.count(
                "SELECT count(*) FROM mvrefresh.refresh_run WHERE id = ? AND outcome = 'failed' AND error LIKE '%half-open%'",
                runId) == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.inFlight() == 0);

        // The slot is free again and the next refresh takes a new session.
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Refreshes.loop().tick().await().atMost(Duration.ofSeconds(10));
            return dispatcher.databaseReachable();
        });
        long next = Requests.accepted(dispatcher, VIEW, Trigger.ADMIN).runId();
        await().atMost(Duration.ofSeconds(30)).until(() -> POSTGRES.count(
                "SELECT count(*) FROM mvrefresh.refresh_run WHERE id = ? AND outcome = 'success'", next) == 1);

        // The listener's heartbeat finds its connection dead, and it listens again on a new one.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
            POSTGRES.execute("SELECT pg_notify('" + CHANNEL + "', 'gated.gate')");
            return dispatcher.snapshot(VIEW).orElseThrow().changedSince() != null;
        });
        assertThat(clientPort("mvrefresh/%/listen")).as("a new connection").isNotEqualTo(listener);
    }
}
