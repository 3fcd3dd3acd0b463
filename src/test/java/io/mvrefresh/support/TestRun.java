package io.mvrefresh.support;

import java.util.List;
import java.util.Locale;

/**
 * Names that belong to this test run alone, so two checkouts can run the suite on one machine at
 * once: databases and Redis key prefixes carry the test JVM's process id. Leftovers of runs whose
 * process is gone (a killed build) are removed the first time a name is handed out.
 */
public final class TestRun {

    /** This run's token: the test JVM's process id. */
    public static final String ID = Long.toString(ProcessHandle.current().pid());

    private static final String DATABASE_PREFIX = "mvrefresh_t";
    private static final String REDIS_PREFIX = "mvrefresh-test:";
    private static final int MAX_IDENTIFIER = 63;
    private static volatile boolean swept;

    private TestRun() {
    }

    /** A database name for {@code purpose}, unique to this run and at most PostgreSQL's 63 bytes. */
    public static String database(String purpose) {
        sweepOnce();
        String name = DATABASE_PREFIX + ID + "_" + purpose.replaceAll("[^A-Za-z0-9]+", "_").toLowerCase(Locale.ROOT);
        if (name.length() > MAX_IDENTIFIER) {
            String hash = Integer.toHexString(name.hashCode());
            name = name.substring(0, MAX_IDENTIFIER - hash.length() - 1) + "_" + hash;
        }
        return name;
    }

    /** A Redis key prefix for {@code purpose}, unique to this run, ending in a colon. */
    public static String redisPrefix(String purpose) {
        sweepOnce();
        return REDIS_PREFIX + ID + ":" + purpose + ":";
    }

    /** Removes databases and Redis keys left by runs whose process no longer exists. */
    private static synchronized void sweepOnce() {
        if (swept) {
            return;
        }
        swept = true;
        Postgres maintenance = new Postgres("postgres");
        List<Object> names = maintenance.column("SELECT datname FROM pg_database WHERE datname LIKE 'mvrefresh\\_t%'");
        for (Object name : names) {
            String run = ownerOf(name.toString().substring(DATABASE_PREFIX.length()));
            if (run != null && !alive(run)) {
                Postgres.dropDatabase(name.toString());
            }
        }
        sweepRedis();
    }

    private static void sweepRedis() {
        try {
            Process list = new ProcessBuilder("redis-cli", "-h", "127.0.0.1", "--scan", "--pattern", REDIS_PREFIX + "*")
                    .redirectErrorStream(true).start();
            java.util.Set<String> deadRuns = new java.util.HashSet<>();
            for (String key : new String(list.getInputStream().readAllBytes()).split("\n")) {
                if (key.startsWith(REDIS_PREFIX)) {
                    String run = ownerOf(key.substring(REDIS_PREFIX.length()).replace(':', '_'));
                    if (run != null && !alive(run)) {
                        deadRuns.add(run);
                    }
                }
            }
            list.waitFor();
            deadRuns.forEach(run -> IsolatedDatabase.removeRedisKeys(REDIS_PREFIX + run + ":"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The run token a name starts with ({@code <pid>_...}), or null. */
    private static String ownerOf(String rest) {
        int end = rest.indexOf('_');
        String run = end < 0 ? rest : rest.substring(0, end);
        return run.matches("\\d+") ? run : null;
    }

    private static boolean alive(String pid) {
        return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
    }
}
