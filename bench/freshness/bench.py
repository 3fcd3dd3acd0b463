#!/usr/bin/env python3
"""Freshness benchmark: how long after a write the view shows it, and what keeping it so costs.

Write-to-fresh lag. A long-lived writer session (as an application's connection pool keeps)
inserts a row into the view's table every 2 s on average (1.5-2.5 s apart, so a loop on a
whole-second period cannot lock into one phase); after each insert the "application" caches a value
under a key the view's invalidation rule covers. A reader polls the view and the key every 10 ms
and records, per write, when the view first shows it and when the key is gone. Contenders, one
after the other against the same database:
  * psql loop 60s - `REFRESH MATERIALIZED VIEW CONCURRENTLY` every 60 s from a psql loop: pg_cron's
                    classic minute schedule (pg_cron is not installed here; its scheduling adds no
                    lag a loop does not have). No cache invalidation;
  * psql loop 1s  - the same every second: pg_cron 1.5's finest schedule ('1 seconds');
  * interval=10s  - mvrefresh on a clock;
  * max-staleness=5s - mvrefresh watching the table's write counters (poll-interval 1s), with
                    min-interval=1s (the default, half the target, would by design hold back every
                    other write of a 2 s stream; the burst measures that cap);
  * notify        - the same plus mvrefresh.changes.notify-channel and the statement-level trigger
                    of the README.
Cost. 1,000 views with max-staleness=5s and no write for --idle-minutes: refreshes executed, and CPU
seconds of the mvrefresh JVM and of its PostgreSQL sessions. Burst: a write every 100 ms for a
minute to a view with max-staleness=10s and min-interval=5s: the number of refreshes.

Usage: bench/freshness/bench.py [--writes 50] [--idle-minutes 10]
Needs: PostgreSQL on 127.0.0.1:5432, pg_config, redis-server, a JDK 21+ in JAVA_HOME and the
packaged application (./mvnw package -DskipTests).
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "common"))
import harness  # noqa: E402

DB = "mvrefresh_bench_freshness"
CHANNEL = "mvrefresh_changes"
KEY_PREFIX = "bench:fresh:"
VIEW = "bench.mv_latest"


def setup():
    harness.recreate_database(DB)
    harness.psql_script(f"""
        CREATE SCHEMA bench;
        CREATE TABLE bench.events (id bigserial PRIMARY KEY, payload integer NOT NULL);
        INSERT INTO bench.events (payload) SELECT g FROM generate_series(1, 1000) g;
        CREATE MATERIALIZED VIEW {VIEW} AS SELECT 1 AS one, max(id) AS last_id, count(*) AS events FROM bench.events;
        CREATE UNIQUE INDEX ON {VIEW} (one);
        CREATE FUNCTION bench.notify_mvrefresh() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME));
            RETURN NULL;
        END
        $$;
    """, DB)


class LagRun:
    """One contender: writes about every 2 s, and a reader recording when each write shows in the view and its key is gone."""

    def __init__(self, redis_port, writes, watch_cache):
        self.redis_port = redis_port
        self.writes = writes
        self.watch_cache = watch_cache
        self.written = {}
        self.in_view = {}
        self.key_gone = {}
        self.done = threading.Event()
        self.random = random.Random(7)

    def writer(self):
        session = harness.PsqlSession(DB)
        cache = harness.RedisClient(self.redis_port)
        try:
            for _ in range(self.writes):
                started = time.monotonic()
                row = int(session.one("INSERT INTO bench.events (payload) VALUES (1) RETURNING id"))
                self.written[row] = time.monotonic()
                if self.watch_cache:
                    # The application caches what it just read from the (not yet refreshed) view.
                    cache.command("SET", f"{KEY_PREFIX}{row}", "stale")
                # Every 2 s on average, not exactly: a strict period would lock into phase with a
                # loop refreshing every second and measure one phase only.
                time.sleep(max(0.0, self.random.uniform(1.5, 2.5) - (time.monotonic() - started)))
        finally:
            session.close()
            cache.close()

    def reader(self, deadline):
        session = harness.PsqlSession(DB)
        cache = harness.RedisClient(self.redis_port)
        try:
            while time.monotonic() < deadline:
                now_last = int(session.one(f"SELECT coalesce(last_id, 0) FROM {VIEW}"))
                seen_at = time.monotonic()
                for row in list(self.written):
                    if row not in self.in_view and row <= now_last:
                        self.in_view[row] = seen_at
                if self.watch_cache:
                    pending = [row for row in list(self.written) if row not in self.key_gone]
                    if pending:
                        exists = cache.pipeline([("EXISTS", f"{KEY_PREFIX}{row}") for row in pending])
                        gone_at = time.monotonic()
                        for row, present in zip(pending, exists):
                            if present == 0:
                                self.key_gone[row] = gone_at
                if (len(self.written) == self.writes and len(self.in_view) == self.writes
                        and (not self.watch_cache or len(self.key_gone) == self.writes)):
                    return
                time.sleep(0.01)
        finally:
            session.close()
            cache.close()

    def run(self, drain_seconds):
        reader = threading.Thread(target=self.reader, args=(time.monotonic() + self.writes * 2 + drain_seconds,))
        reader.start()
        self.writer()
        reader.join()
        view = [self.in_view[row] - at for row, at in self.written.items() if row in self.in_view]
        cache = [self.key_gone[row] - at for row, at in self.written.items() if row in self.key_gone]
        missing = self.writes - len(view)
        return view, cache, missing


class PsqlLoop:
    def __init__(self, period):
        self.period = period
        self.stopped = threading.Event()
        self.refreshes = 0
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        session = harness.PsqlSession(DB)
        try:
            while not self.stopped.is_set():
                started = time.monotonic()
                session.one(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {VIEW}; SELECT 1")
                self.refreshes += 1
                self.stopped.wait(max(0.0, self.period - (time.monotonic() - started)))
        finally:
            session.close()

    def stop(self):
        self.stopped.set()
        self.thread.join()


def summary(samples):
    if not samples:
        return "n/a"
    return (f"{harness.percentile(samples, 50):.2f} s / {harness.percentile(samples, 95):.2f} s / {max(samples):.2f} s")


def lag(redis, writes):
    rows = []
    contenders = [
        ("psql loop every 60 s (pg_cron minute schedule)", {"loop": 60}),
        ("psql loop every 1 s (pg_cron 1.5 finest)", {"loop": 1}),
        ("mvrefresh interval=10s", {"settings": {f'mvrefresh.views."{VIEW}".interval': "10s"}}),
        # min-interval 1s: writes come every 2 s, and the default (half the target, 2.5 s) would
        # hold every other one back by design; the burst below measures that cap on its own.
        ("mvrefresh max-staleness=5s, min-interval=1s (counters)", {"settings": {
            f'mvrefresh.views."{VIEW}".max-staleness': "5s", f'mvrefresh.views."{VIEW}".min-interval': "1s"}}),
        ("mvrefresh max-staleness=5s, min-interval=1s + notify", {"settings": {
            f'mvrefresh.views."{VIEW}".max-staleness': "5s", f'mvrefresh.views."{VIEW}".min-interval': "1s",
            "mvrefresh.changes.notify-channel": CHANNEL}, "notify": True}),
    ]
    for name, how in contenders:
        harness.psql("DROP SCHEMA IF EXISTS mvrefresh CASCADE", DB)
        if how.get("notify"):
            harness.psql("CREATE TRIGGER events_notify_mvrefresh AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bench.events"
                         " FOR EACH STATEMENT EXECUTE FUNCTION bench.notify_mvrefresh()", DB)
        if "loop" in how:
            loop = PsqlLoop(how["loop"])
            try:
                view, cache, missing = LagRun(redis.port, writes, watch_cache=False).run(drain_seconds=how["loop"] + 30)
            finally:
                loop.stop()
            refreshes = loop.refreshes
        else:
            settings = {"mvrefresh.discovery.schemas": "bench", f'mvrefresh.views."{VIEW}".invalidate.patterns': KEY_PREFIX + "*"}
            settings.update(how["settings"])
            app = harness.Mvrefresh(DB, settings, redis_port=redis.port)
            try:
                harness.wait_for(lambda: int(harness.psql(
                    "SELECT count(*) FROM mvrefresh.refresh_run WHERE outcome = 'success'", DB)) >= 1, timeout=60)
                first = int(harness.psql("SELECT max(id) FROM mvrefresh.refresh_run", DB))
                view, cache, missing = LagRun(redis.port, writes, watch_cache=True).run(drain_seconds=60)
                refreshes = int(harness.psql(f"SELECT count(*) FROM mvrefresh.refresh_run WHERE id > {first} AND outcome = 'success'", DB))
            finally:
                app.stop()
        if how.get("notify"):
            harness.psql("DROP TRIGGER events_notify_mvrefresh ON bench.events", DB)
        rows.append((name, view, cache, missing, refreshes))
        print(f"  {name}: view {summary(view)}, cache {summary(cache)}, {refreshes} refreshes", file=sys.stderr, flush=True)
    return rows


def idle_cost(views, minutes):
    harness.psql("DROP SCHEMA IF EXISTS idle CASCADE; DROP SCHEMA IF EXISTS mvrefresh CASCADE", DB)
    harness.create_tiny_views(DB, "idle", views)
    app = harness.Mvrefresh(DB, {"mvrefresh.discovery.schemas": "idle", "mvrefresh.defaults.max-staleness": "5s"})
    try:
        harness.wait_for(lambda: int(harness.psql(
            "SELECT count(*) FROM mvrefresh.refresh_run WHERE outcome = 'success'", DB)) >= views, timeout=900, every=0.5)
        time.sleep(15)
        first = int(harness.psql("SELECT max(id) FROM mvrefresh.refresh_run", DB))
        skips = harness.psql("SELECT sum(skips_unchanged) FROM mvrefresh.view_state", DB)
        before = app.cpu()
        time.sleep(minutes * 60)
        jvm, sessions = harness.cpu_between(before, app.cpu())
        refreshes = int(harness.psql(f"SELECT count(*) FROM mvrefresh.refresh_run WHERE id > {first}", DB))
        checks = int(harness.psql("SELECT sum(skips_unchanged) FROM mvrefresh.view_state", DB)) - int(skips or 0)
    finally:
        app.stop()
    harness.psql("DROP SCHEMA idle CASCADE", DB)
    return refreshes, checks, jvm / minutes, sessions / minutes


def burst_count(redis):
    harness.psql("DROP SCHEMA IF EXISTS mvrefresh CASCADE", DB)
    app = harness.Mvrefresh(DB, {"mvrefresh.discovery.schemas": "bench", f'mvrefresh.views."{VIEW}".max-staleness': "10s",
                                 f'mvrefresh.views."{VIEW}".min-interval': "5s"}, redis_port=redis.port)
    try:
        harness.wait_for(lambda: int(harness.psql(
            "SELECT count(*) FROM mvrefresh.refresh_run WHERE outcome = 'success'", DB)) >= 1, timeout=60)
        time.sleep(6)
        first = int(harness.psql("SELECT max(id) FROM mvrefresh.refresh_run", DB))
        session = harness.PsqlSession(DB)
        started = time.monotonic()
        writes = 0
        while time.monotonic() - started < 60:
            session.one("INSERT INTO bench.events (payload) VALUES (2) RETURNING id")
            writes += 1
            time.sleep(0.1)
        session.close()
        time.sleep(15)
        starts = harness.psql(f"SELECT extract(epoch FROM started_at) FROM mvrefresh.refresh_run WHERE id > {first} ORDER BY started_at", DB)
        times = [float(t) for t in starts.split()]
    finally:
        app.stop()
    gaps = [b - a for a, b in zip(times, times[1:])]
    return writes, len(times), min(gaps) if gaps else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--idle-minutes", type=float, default=10)
    parser.add_argument("--idle-views", type=int, default=1000)
    parser.add_argument("--parts", nargs="+", choices=["lag", "burst", "idle"], default=["lag", "burst", "idle"])
    options = parser.parse_args()
    if not os.path.exists(os.path.join(harness.ROOT, "target", "quarkus-app", "quarkus-run.jar")):
        sys.exit("package mvrefresh first: ./mvnw package -DskipTests")
    load = harness.load_average()
    setup()
    redis = harness.RedisServer()
    try:
        rows = lag(redis, options.writes) if "lag" in options.parts else []
        burst = burst_count(redis) if "burst" in options.parts else None
        idle = idle_cost(options.idle_views, options.idle_minutes) if "idle" in options.parts else None
    finally:
        redis.stop()
        harness.drop_database(DB)
    version = subprocess.run(harness.PSQL + ["-d", "postgres", "-c", "SHOW server_version"], capture_output=True, text=True,
                             env={**os.environ, "PGPASSWORD": harness.PGPASSWORD}).stdout.strip()
    print(f"# {datetime.now().isoformat(timespec='seconds')}, {os.cpu_count()} cores, PostgreSQL {version}, "
          f"load average at start {load}, at end {harness.load_average()}; {options.writes} writes every 2 s per contender")
    if rows:
        print("| contender | write to view: p50 / p95 / max | write to cache key gone: p50 / p95 / max | refreshes run |")
        print("|---|---|---|---|")
    for name, view, cache, missing, count in rows:
        note = f" ({missing} writes never seen)" if missing else ""
        print(f"| {name} | {summary(view)}{note} | {summary(cache)} | {count} |")
    if burst:
        writes, refreshes, min_gap = burst
        print(f"\nBurst: {writes} writes in 60 s (one every 100 ms), max-staleness=10s, min-interval=5s: {refreshes} refreshes"
              + (f", closest two starts {min_gap:.2f} s apart" if min_gap is not None else ""))
    if not idle:
        return
    refreshes_idle, checks, jvm, sessions = idle
    print(f"\nIdle: {options.idle_views} views with max-staleness=5s, no write for {options.idle_minutes:g} minutes: "
          f"{refreshes_idle} refreshes, {checks} checks, mvrefresh JVM {jvm:.3f} CPU-s/min, its PostgreSQL sessions "
          f"{sessions:.3f} CPU-s/min ({(jvm + sessions) / 60 * 100:.2f} % of one core together)")


if __name__ == "__main__":
    main()
