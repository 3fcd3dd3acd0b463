package io.mvrefresh.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything an operator can set under {@code mvrefresh.}, as written. Every value is text here
 * and is converted by {@link Configuration#validate}, so one message can name every bad key and
 * value at once (a typed mapping would stop at its own conversion errors first). Per-view
 * settings override {@link #defaults()}; see {@link ViewSettingsResolver} for how they are merged.
 */
@ConfigMapping(prefix = "mvrefresh")
public interface MvRefreshConfig {

    /** Which materialized views are found without being configured one by one. */
    Discovery discovery();

    /** Settings every view gets unless it overrides them under {@link #views()}. */
    ViewDefaults defaults();

    /**
     * Per-view overrides keyed by {@code schema.name}, e.g.
     * {@code mvrefresh.views."public.mv_daily".interval=5m}. Defaults to none.
     */
    Map<String, ViewOverrides> views();

    /** How many refreshes may run at once. Defaults to {@code 2}. */
    @WithDefault("2")
    String concurrency();

    /** The PostgreSQL sessions refreshes run on. */
    @WithName("refresh-session")
    RefreshSession refreshSession();

    /** Dispatcher behaviour. */
    Scheduler scheduler();

    /** Shutdown behaviour. */
    Shutdown shutdown();

    /** Redis invalidation behaviour shared by all views. */
    Invalidation invalidation();

    /** Admin HTTP API. */
    Admin admin();

    /** Health check behaviour. */
    Health health();

    /** The {@code mvrefresh} state schema in PostgreSQL. */
    Schema schema();

    /** Run history kept in {@code mvrefresh.refresh_run}. */
    History history();

    /**
     * Name recorded as {@code instance} on every run, to tell replicas apart. Defaults to the
     * {@code HOSTNAME} environment variable (the pod name in Kubernetes), else {@code mvrefresh}.
     */
    @WithDefault("${HOSTNAME:mvrefresh}")
    String instance();

    /** Dev-mode demo database. */
    Demo demo();

    /** Prometheus metrics. */
    Metrics metrics();

    /** What mvrefresh logs. */
    Logging log();

    /** The web console. */
    Console console();

    /** Which views discovery finds. */
    interface Discovery {

        /** Schemas whose materialized views are discovered. Defaults to {@code public}. */
        @WithDefault("public")
        List<String> schemas();

        /**
         * Glob patterns ({@code *}, {@code ?}) a view must match to be discovered; a pattern
         * with a dot matches {@code schema.name}, one without matches the name alone.
         * Defaults to {@code *} (every view).
         */
        @WithDefault("*")
        List<String> include();

        /** Glob patterns of views to leave out, same syntax as include. Defaults to none. */
        Optional<List<String>> exclude();

        /** How often the catalog is scanned again for created or dropped views. Defaults to {@code 1m}. */
        @WithName("rescan-interval")
        @WithDefault("1m")
        String rescanInterval();

        /**
         * Whether per-view settings are read from the {@code mvrefresh:} line of each view's
         * comment, at every rescan. Defaults to {@code true}.
         */
        @WithName("comment-settings")
        @WithDefault("true")
        String commentSettings();
    }

    /** Settings of a view when it does not override them. */
    interface ViewDefaults {

        /** Refresh this long after the last successful refresh. Defaults to {@code 15m}. */
        Optional<String> interval();

        /** A cron expression instead of an interval. Defaults to none. */
        Optional<String> cron();

        /** IANA time zone in which {@code cron} is read, e.g. {@code Europe/Berlin}. Defaults to {@code UTC}. */
        @WithName("cron-timezone")
        @WithDefault("UTC")
        String cronTimezone();

        /** {@code critical}, {@code high}, {@code medium} or {@code low}. Defaults to {@code medium}. */
        @WithDefault("medium")
        String priority();

        /** {@code auto}, {@code concurrent} or {@code blocking}. Defaults to {@code auto}. */
        @WithDefault("auto")
        String mode();

        /** Statement timeout of one refresh. Defaults to {@code 10m}. */
        @WithDefault("10m")
        String timeout();

        /** How long a refresh waits for its lock before failing. Defaults to {@code 30s}. */
        @WithName("lock-timeout")
        @WithDefault("30s")
        String lockTimeout();

        /** Skip the refresh when no base table changed. Defaults to {@code true}. */
        @WithName("skip-unchanged")
        @WithDefault("true")
        String skipUnchanged();

        /** {@code false} keeps views known but never refreshed. Defaults to {@code true}. */
        @WithDefault("true")
        String enabled();

        /**
         * Freshness target: the view lags its base tables by at most this much; mvrefresh watches
         * their write counters and refreshes on change. Defaults to none.
         */
        @WithName("max-staleness")
        Optional<String> maxStaleness();

        /** Two refreshes of a view never start closer together than this. Defaults to half of max-staleness, else none. */
        @WithName("min-interval")
        Optional<String> minInterval();

        /** SQL run in the refresh's own transaction after a successful REFRESH (trusted configuration only). Defaults to none. */
        @WithName("after-sql")
        Optional<String> afterSql();
    }

    /** What one view overrides; every member is optional. */
    interface ViewOverrides {

        /** Refresh interval. Defaults to {@code mvrefresh.defaults.interval}. */
        Optional<String> interval();

        /** Cron expression. Defaults to {@code mvrefresh.defaults.cron}. */
        Optional<String> cron();

        /** Time zone of {@code cron}. Defaults to {@code mvrefresh.defaults.cron-timezone}. */
        @WithName("cron-timezone")
        Optional<String> cronTimezone();

        /** Priority. Defaults to {@code mvrefresh.defaults.priority}. */
        Optional<String> priority();

        /** Refresh mode. Defaults to {@code mvrefresh.defaults.mode}. */
        Optional<String> mode();

        /** Statement timeout. Defaults to {@code mvrefresh.defaults.timeout}. */
        Optional<String> timeout();

        /** Lock timeout. Defaults to {@code mvrefresh.defaults.lock-timeout}. */
        @WithName("lock-timeout")
        Optional<String> lockTimeout();

        /** Skip when unchanged. Defaults to {@code mvrefresh.defaults.skip-unchanged}. */
        @WithName("skip-unchanged")
        Optional<String> skipUnchanged();

        /** Extra upstream views ({@code schema.name}). Defaults to none. */
        @WithName("depends-on")
        Optional<List<String>> dependsOn();

        /** Redis invalidation after a successful refresh. */
        Invalidate invalidate();

        /** Whether the view is refreshed. Defaults to {@code mvrefresh.defaults.enabled}. */
        Optional<String> enabled();

        /** Freshness target. Defaults to {@code mvrefresh.defaults.max-staleness}. */
        @WithName("max-staleness")
        Optional<String> maxStaleness();

        /** Minimum time between refresh starts. Defaults to {@code mvrefresh.defaults.min-interval}. */
        @WithName("min-interval")
        Optional<String> minInterval();

        /** SQL run after a successful REFRESH, in its transaction. Defaults to {@code mvrefresh.defaults.after-sql}. */
        @WithName("after-sql")
        Optional<String> afterSql();
    }

    /** Redis keys built from one view. */
    interface Invalidate {

        /** Key glob patterns deleted by SCAN + UNLINK. Defaults to none. */
        Optional<List<String>> patterns();

        /** Set keys whose members are cache keys to delete. Defaults to none. */
        Optional<List<String>> tags();

        /** Key INCRemented after a refresh. Defaults to none. */
        @WithName("generation-key")
        Optional<String> generationKey();
    }

    /** Dispatcher behaviour. */
    interface Scheduler {

        /** A waiting view rises one priority level per this much waiting. Defaults to {@code 5m}. */
        @WithDefault("5m")
        String aging();

        /**
         * How often the dispatcher looks for due views when nothing else wakes it.
         * Defaults to {@code 1s}.
         */
        @WithName("poll-interval")
        @WithDefault("1s")
        String pollInterval();

        /**
         * Whether mvrefresh ticks by itself: the poll and the wake-up at the next due time. With
         * {@code false} nothing becomes due unless {@code Dispatcher.tick()} is called, which is
         * what tests do to drive scheduling with a settable clock. Defaults to {@code true}.
         */
        @WithDefault("true")
        String timers();

        /**
         * Slots of {@code mvrefresh.concurrency} only views configured {@code critical} may use, so
         * a critical view starts within a tick of falling due whatever else runs. A reserved slot
         * idles whenever no critical view is due. Defaults to {@code 0}.
         */
        @WithName("reserved-for-critical")
        @WithDefault("0")
        String reservedForCritical();
    }

    /** Watching base tables for changes (views with a freshness target). */
    Changes changes();

    /** Watching base tables for changes. */
    interface Changes {

        /** How often the write counters of watched tables are read. Defaults to {@code 1s}. */
        @WithName("poll-interval")
        @WithDefault("1s")
        String pollInterval();

        /**
         * A PostgreSQL channel mvrefresh LISTENs on; a notification naming a table
         * ({@code schema.table}) counts as a change of that table at once. Defaults to none.
         */
        @WithName("notify-channel")
        Optional<String> notifyChannel();
    }

    /** Shutdown behaviour. */
    interface Shutdown {

        /** Time in-flight refreshes get to finish on shutdown. Defaults to {@code 30s}. */
        @WithDefault("30s")
        String grace();
    }

    /** Invalidation settings shared by all views. */
    interface Invalidation {

        /**
         * Pub/sub channel receiving one JSON message per invalidation; empty disables.
         * Defaults to {@code mvrefresh:invalidations}.
         */
        @WithDefault("mvrefresh:invalidations")
        Optional<String> channel();

        /** Keys asked for per SCAN call (and members per SSCAN). Defaults to {@code 1000}. */
        @WithName("scan-count")
        @WithDefault("1000")
        String scanCount();

        /**
         * Invalidations waiting for Redis at most; past it the oldest is dropped (and logged). A
         * newer refresh of a view replaces its waiting invalidation, so this bounds views, not
         * refreshes. Defaults to {@code 1000}.
         */
        @WithName("queue-capacity")
        @WithDefault("1000")
        String queueCapacity();

        /** How long one Redis command may take before the attempt counts as failed. Defaults to {@code 5s}. */
        @WithName("command-timeout")
        @WithDefault("5s")
        String commandTimeout();

        /**
         * Which physical standbys an invalidation waits for (until each has replayed the refresh's
         * commit): {@code all}, {@code off}, or a comma list of globs of their
         * {@code application_name}. Defaults to {@code all}.
         */
        @WithDefault("all")
        String replicas();

        /** How long an invalidation waits for standbys at most; then it goes ahead (and says so). Defaults to {@code 10s}. */
        @WithName("replica-wait-max")
        @WithDefault("10s")
        String replicaWaitMax();
    }

    /** Admin API. */
    interface Admin {

        /** Bearer token the admin API requires; without it the API answers 403. Defaults to none. */
        Optional<String> token();
    }

    /** Health checks. */
    interface Health {

        /** Readiness follows PostgreSQL reachability. Defaults to {@code false}. */
        @WithName("ready-requires-database")
        @WithDefault("false")
        String readyRequiresDatabase();

        /**
         * Liveness reports DOWN when the dispatcher has completed no tick for this long. A tick
         * waits for PostgreSQL at most a third of it, so a database outage never trips it.
         * Defaults to {@code 60s}.
         */
        @WithName("liveness-timeout")
        @WithDefault("60s")
        String livenessTimeout();
    }

    /** The PostgreSQL sessions refreshes run on. */
    interface RefreshSession {

        /**
         * Runs (refreshes and checks) a refresh session serves before it is closed and replaced by
         * a new one; {@code 0} keeps it until its connection is lost. A PostgreSQL backend keeps
         * memory for every {@code REFRESH ... CONCURRENTLY} it ran and gets slower with it, so a
         * session that lives forever grows without bound. Defaults to {@code 200}.
         */
        @WithName("max-runs")
        @WithDefault("200")
        String maxRuns();
    }

    /** State schema management. */
    interface Schema {

        /** Create and migrate the {@code mvrefresh} schema at startup. Defaults to {@code true}. */
        @WithDefault("true")
        String manage();
    }

    /** Run history. */
    interface History {

        /** Runs older than this are deleted. Defaults to {@code 14d}. */
        @WithDefault("14d")
        String retention();
    }

    /** The web console at {@code /console}. */
    interface Console {

        /** Serve the console page; {@code false} removes it (404). Defaults to {@code true}. */
        @WithDefault("true")
        String enabled();
    }

    /** What mvrefresh logs. */
    interface Logging {

        /**
         * Log every successful refresh and completed cache invalidation at INFO; {@code false}
         * logs them at DEBUG, keeping INFO for state changes and WARN for failures. Defaults to
         * {@code true}.
         */
        @WithDefault("true")
        String successes();
    }

    /** Prometheus metrics. */
    interface Metrics {

        /**
         * Give {@code mvrefresh_refresh_duration_seconds} a {@code view} label: a histogram per view
         * (about 20 series each), for a few hundred views at most. Without it the histogram is per
         * priority, mode and outcome, and each view's last duration is a gauge. Defaults to
         * {@code false}.
         */
        @WithName("per-view-histograms")
        @WithDefault("false")
        String perViewHistograms();
    }

    /** The demo database {@code ./mvnw quarkus:dev} uses. */
    interface Demo {

        /**
         * Create the demo star schema (if absent) in the configured database and keep inserting
         * rows into it. Defaults to {@code false}; the dev profile turns it on.
         */
        @WithDefault("false")
        String enabled();

        /** How often the demo inserts a batch of new facts. Defaults to {@code 2s}. */
        @WithName("trickle-interval")
        @WithDefault("2s")
        String trickleInterval();
    }
}
