package io.mvrefresh.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mvrefresh.support.Postgres;
import io.mvrefresh.support.TestRun;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The sessions refreshes run on, against a real server: replaced by use, bounded, and dropped when the server ends them. */
class RefreshSessionsTest {

    private static final String DATABASE = TestRun.database("refresh_sessions");
    /** An advisory lock key of the test's own database, held by the test to keep a statement waiting. */
    private static final long HELD_LOCK = 4711;
    private static final Postgres POSTGRES = new Postgres(DATABASE);
    private static final String APPLICATION = "mvrefresh-test/" + TestRun.ID + "/sessions";
    private static final Duration WAIT = Duration.ofSeconds(10);

    private Vertx vertx;
    private RefreshSessions sessions;

    @BeforeAll
    static void createDatabase() {
        Postgres.recreateDatabase(DATABASE);
    }

    @AfterAll
    static void dropDatabase() {
        Postgres.dropDatabase(DATABASE);
    }

    @BeforeEach
    void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() {
        if (sessions != null) {
            sessions.close().await().atMost(WAIT);
        }
        vertx.close().toCompletionStage().toCompletableFuture().join();
        await().atMost(WAIT).until(() -> backends() == 0);
    }

    @Test
    void shouldReplaceASessionAfterItsMaximumRuns() {
        sessions = sessions(1, 3);

        List<Integer> pids = backendPidsOfRuns(7);

        assertThat(pids.subList(0, 3)).containsOnly(pids.get(0));
        assertThat(pids.subList(3, 6)).containsOnly(pids.get(3));
        assertThat(new LinkedHashSet<>(pids)).hasSize(3);
        // The replaced backends are gone from the server, not merely set aside.
        await().atMost(WAIT).until(() -> backends() == 1);
        assertThat(sessions.open()).isEqualTo(1);
    }

    @Test
    void shouldKeepASessionWithoutLimitWhenMaximumRunsIsZero() {
        sessions = sessions(1, 0);

        List<Integer> pids = backendPidsOfRuns(5);

        assertThat(pids).containsOnly(pids.get(0));
    }

    @Test
    void shouldKeepTheSessionWhenTheWorkFailsAndPassTheFailureOn() {
        sessions = sessions(1, 10);
        int first = backendPid();

        Uni<Object> failing = sessions.withSession(conn -> conn.query("SELECT 1 / 0").execute().replaceWith(new Object()));

        assertThatThrownBy(() -> failing.await().atMost(WAIT)).hasMessageContaining("division by zero");
        assertThat(backendPid()).isEqualTo(first);
    }

    @Test
    void shouldNeverOpenMoreSessionsThanItsCapacityAndServeWaitingRunsInTurn() {
        sessions = sessions(2, 100);
        List<CompletableFuture<Void>> releases = new ArrayList<>();
        List<Integer> started = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Integer>> runs = new ArrayList<>();
        for (int run = 0; run < 5; run++) {
            CompletableFuture<Void> release = new CompletableFuture<>();
            releases.add(release);
            int number = run;
            runs.add(sessions.withSession(conn -> pid(conn)
                    .invoke(() -> started.add(number))
                    .call(() -> Uni.createFrom().completionStage(release)))
                    .subscribeAsCompletionStage());
        }

        await().atMost(WAIT).until(() -> started.size() == 2);
        assertThat(backends()).isEqualTo(2);
        releases.get(started.get(0)).complete(null);
        await().atMost(WAIT).until(() -> started.size() == 3);
        releases.forEach(release -> release.complete(null));

        List<Integer> pids = runs.stream().map(CompletableFuture::join).toList();
        assertThat(new LinkedHashSet<>(pids)).hasSize(2);
        assertThat(sessions.open()).isEqualTo(2);
    }

    @Test
    void shouldPassTheSessionOnWhenAWaitingRunGivesUp() {
        sessions = sessions(1, 100);
        CompletableFuture<Void> release = new CompletableFuture<>();
        CompletableFuture<Integer> holding = sessions
                .withSession(conn -> pid(conn).call(() -> Uni.createFrom().completionStage(release)))
                .subscribeAsCompletionStage();
        await().atMost(WAIT).until(() -> backends() == 1);
        CompletableFuture<Integer> abandoned = sessions.withSession(RefreshSessionsTest::pid).subscribeAsCompletionStage();

        abandoned.cancel(true);
        release.complete(null);

        assertThat(backendPid()).isEqualTo(holding.join());
        assertThat(sessions.open()).isEqualTo(1);
    }

    @Test
    void shouldCloseTheSessionOfARunAbandonedMidStatement() throws Exception {
        sessions = sessions(1, 100);
        int first = backendPid();
        // The run's statement waits for an advisory lock the test holds: it stays in progress for as
        // long as the test needs, whatever the machine's speed.
        try (Connection holder = POSTGRES.connect(); Statement hold = holder.createStatement()) {
            hold.execute("SELECT pg_advisory_lock(" + HELD_LOCK + ")");
            CompletableFuture<Integer> abandoned = sessions
                    .withSession(conn -> conn.query("SELECT pg_advisory_lock(" + HELD_LOCK + ")").execute().replaceWith(0))
                    .subscribeAsCompletionStage();
            await().atMost(WAIT).until(() -> POSTGRES.count(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = ? AND query LIKE 'SELECT pg_advisory_lock%'", first) == 1);

            abandoned.cancel(true);

            // The next run neither waits for the statement nor lands in the abandoned statement's session.
            assertThat(backendPid()).isNotEqualTo(first);
            await().atMost(WAIT).until(() -> POSTGRES.count("SELECT count(*) FROM pg_stat_activity WHERE pid = ?", first) == 0);
        }
    }

    @Test
    void shouldDropASessionTheServerEndedInsteadOfFailingTheNextRun() {
        sessions = sessions(1, 100);
        int terminated = backendPid();

        POSTGRES.execute("SELECT pg_terminate_backend(" + terminated + ")");
        await().atMost(WAIT).until(() -> sessions.idle() == 0);

        int next = backendPid();
        assertThat(next).isNotEqualTo(terminated);
        assertThat(sessions.open()).isEqualTo(1);
    }

    @Test
    void shouldRefuseNewRunsOnceClosed() {
        sessions = sessions(1, 100);
        backendPid();

        sessions.close().await().atMost(WAIT);

        await().atMost(WAIT).until(() -> backends() == 0);
        assertThatThrownBy(() -> sessions.withSession(RefreshSessionsTest::pid).await().atMost(WAIT))
                .hasMessageContaining("stopping");
    }

    private RefreshSessions sessions(int capacity, int maxRuns) {
        PgConnectOptions options = new PgConnectOptions().setHost(Postgres.HOST).setPort(Integer.parseInt(Postgres.PORT))
                .setDatabase(DATABASE).setUser(Postgres.USER).setPassword(Postgres.PASSWORD)
                .addProperty("application_name", APPLICATION);
        return new RefreshSessions(vertx, List.of(options), null, capacity, maxRuns);
    }

    /** The backend each of {@code runs} runs in a row was served by. */
    private List<Integer> backendPidsOfRuns(int runs) {
        List<Integer> pids = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            pids.add(backendPid());
        }
        return pids;
    }

    private int backendPid() {
        return sessions.withSession(RefreshSessionsTest::pid).await().atMost(WAIT);
    }

    private static Uni<Integer> pid(SqlConnection conn) {
        return conn.query("SELECT pg_backend_pid()").execute().map(rows -> rows.iterator().next().getInteger(0));
    }

    private static long backends() {
        return POSTGRES.count("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?", APPLICATION);
    }
}
