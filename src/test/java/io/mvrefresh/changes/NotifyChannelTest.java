package io.mvrefresh.changes;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.mvrefresh.support.Refreshes.tickAndSettle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.MutableClock;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
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
        assertThat(POSTGRES.count("SELECT orders FROM pushed.mv_order_totals")).isEqualTo(POSTGRES.count("SELECT count(*) FROM pushed.orders"));
        assertThat(changeSeen()).isFalse();
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
                .until(() -> listener.listening() && !POSTGRES.column(LISTENERS).isEmpty() && !POSTGRES.column(LISTENERS).equals(killed));

        writeAndRefresh(3);
    }
}
