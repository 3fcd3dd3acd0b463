package io.mvrefresh.changes;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The push signal: a trigger's notification makes a view due without any counter round (the
 * periodic one is an hour apart here), and listening resumes after its connection is killed.
 */
@QuarkusTest
@TestProfile(NotifyChannelTest.Profile.class)
class NotifyChannelTest {

    static final String VIEW = "pushed.mv_order_totals";
    private static final String LISTENERS = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            + " AND application_name LIKE 'mvrefresh/%/listen'";

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    "mvrefresh.discovery.schemas", "pushed",
                    "mvrefresh.changes.poll-interval", "1h",
                    "mvrefresh.changes.notify-channel", "mvrefresh_changes",
                    "mvrefresh.views.\"pushed.mv_order_totals\".max-staleness", "10m",
                    "mvrefresh.views.\"pushed.mv_order_totals\".min-interval", "1m");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("notify_channel");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    Dispatcher dispatcher;

    @Inject
    ChangeListener listener;

    @Inject
    MutableClock clock;

    private boolean changeSeen() {
        return dispatcher.snapshot(ViewId.parse(VIEW).orElseThrow()).orElseThrow().changedSince() != null;
    }

    /** Writes an order and waits for its notification alone to make the view due, then refreshes it. */
    private void writeAndRefresh(long id) {
        clock.advance(Duration.ofMinutes(2));
        POSTGRES.execute("INSERT INTO pushed.orders VALUES (" + id + ", 5)");
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20)).until(this::changeSeen);
        tickAndSettle(dispatcher);
        assertThat(POSTGRES.count("SELECT orders FROM pushed.mv_order_totals"))
                .isEqualTo(POSTGRES.count("SELECT count(*) FROM pushed.orders"));
        assertThat(changeSeen()).isFalse();
    }

    private static long inserts() {
        return POSTGRES.count("SELECT pg_stat_get_tuples_inserted('pushed.orders'::regclass)");
    }

    @Test
    void shouldRefreshOnANotificationBeforeTheWritersCountsArePublished() throws Exception {
        awaitStartupRefreshes(dispatcher);
        await().atMost(Duration.ofSeconds(15)).until(listener::listening);
        clock.advance(Duration.ofMinutes(2));
        // One session, kept open as an application's pool keeps it.
        try (Connection writer = POSTGRES.connect(); Statement statement = writer.createStatement()) {
            long before = inserts();
            // Two commits within a second: the second one's counts are published only when the idle
            // session's timer fires, up to ten seconds later; its notification comes at commit.
            statement.execute("INSERT INTO pushed.orders VALUES (30, 5)");
            statement.execute("INSERT INTO pushed.orders VALUES (31, 5)");
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(10)).until(this::changeSeen);
            boolean publishedLate = inserts() < before + 2;
            tickAndSettle(dispatcher);
            assertThat(POSTGRES.count("SELECT orders FROM pushed.mv_order_totals"))
                    .as("the announced write is in the view although the counters did not show it yet")
                    .isEqualTo(POSTGRES.count("SELECT count(*) FROM pushed.orders"));
            // On a machine slow enough for the counts to be out before the run, the run proves nothing.
            assumeTrue(publishedLate, "the writer's counts were published before the run");
        }
    }

    @Test
    void shouldRefreshOnANotificationAndKeepListeningAfterItsConnectionIsKilled() {
        awaitStartupRefreshes(dispatcher);
        await().atMost(Duration.ofSeconds(15)).until(listener::listening);
        writeAndRefresh(2);

        List<Object> killed = POSTGRES.column(LISTENERS);
        assertThat(killed).hasSize(1);
        POSTGRES.execute("SELECT pg_terminate_backend(pid) FROM (" + LISTENERS + ") AS listeners");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> listener.listening() && !POSTGRES.column(LISTENERS).isEmpty()
                        && !POSTGRES.column(LISTENERS).equals(killed));

        writeAndRefresh(3);
    }
}
