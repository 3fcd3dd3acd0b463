#!/usr/bin/env python3
"""Read-replica benchmark: does a read-through cache filled from a lagging standby get old rows back?

The benchmark starts a PostgreSQL primary and a streaming standby of its own (pg_basebackup -R),
the standby replaying 2 s behind (recovery_min_apply_delay = 2s), and a Redis server. An
"application" subscribes to mvrefresh's invalidation messages and, the moment one arrives (the
moment a busy application's next request misses the cache), reads the view from the standby, as a
read-through cache refills a missing key. Each of {refreshes} rounds changes the price the view
shows, forces a refresh and waits for the message.

  * with the wait - mvrefresh.invalidation.replicas=all (the default): the invalidation and its
                    message wait until the standby's replay_lsn has passed the refresh's commit;
  * without       - mvrefresh.invalidation.replicas=off: invalidated right after the commit, as
                    before.

Counted: stale refills (the standby still showed the old price when the message arrived), and,
with the wait, how long after the standby showed the new price the message arrived (another
session polls the standby every 5 ms for the new price).

Usage: bench/replica/bench.py [--refreshes 50]
Needs: PostgreSQL's programs (initdb, pg_basebackup, pg_ctl), redis-server, a JDK 21+ in JAVA_HOME
and the packaged application (./mvnw package -DskipTests).
"""
import argparse
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "common"))
import harness  # noqa: E402

DB = "bench"
CHANNEL = "bench:invalidations"
SCHEMA = """
CREATE TABLE prices (id integer PRIMARY KEY, price integer NOT NULL);
INSERT INTO prices VALUES (1, 0);
CREATE MATERIALIZED VIEW mv_prices AS SELECT id, price FROM prices;
CREATE UNIQUE INDEX ON mv_prices (id);
"""


class Application(threading.Thread):
    """Subscribes; at each message reads the price from the standby, as a cache refill would."""

    def __init__(self, redis_port, standby_port):
        super().__init__(daemon=True)
        self.client = harness.RedisClient(redis_port)
        self.client.command("SUBSCRIBE", CHANNEL)
        self.standby = harness.PsqlSession(DB, standby_port)
        self.refills = []

    def run(self):
        while True:
            try:
                message = self.client.read()
            except (OSError, ConnectionError):
                return
            arrived = time.monotonic()
            price = int(self.standby.one("SELECT price FROM mv_prices WHERE id = 1"))
            self.refills.append((arrived, price))


class Visibility(threading.Thread):
    """Polls the standby every 5 ms; notes when each price first shows there."""

    def __init__(self, standby_port):
        super().__init__(daemon=True)
        self.session = harness.PsqlSession(DB, standby_port)
        self.first_seen = {}
        self.running = True

    def run(self):
        while self.running:
            price = int(self.session.one("SELECT price FROM mv_prices WHERE id = 1"))
            self.first_seen.setdefault(price, time.monotonic())
            time.sleep(0.005)


def contender(pair, redis, settings, refreshes, first_price):
    app = harness.Mvrefresh(DB, {"mvrefresh.defaults.interval": "1d", "mvrefresh.invalidation.channel": CHANNEL,
                                 "mvrefresh.invalidation.replica-wait-max": "10s",
                                 'mvrefresh.views."public.mv_prices".invalidate.patterns': "bench:price:*", **settings},
                            redis_port=redis.port, pg_port=pair.primary_port)
    application = Application(redis.port, pair.standby_port)
    visibility = Visibility(pair.standby_port)
    application.start()
    visibility.start()
    try:
        for round_number in range(refreshes):
            price = first_price + round_number
            pair.psql(f"UPDATE prices SET price = {price} WHERE id = 1", DB)
            app.post("/admin/views/public.mv_prices/refresh?wait=60s")
            harness.wait_for(lambda: len(application.refills) > round_number, timeout=60, every=0.005)
        harness.wait_for(lambda: (first_price + refreshes - 1) in visibility.first_seen, timeout=60)
    finally:
        visibility.running = False
        app.stop()
    stale = sum(1 for (_, seen), round_number in zip(application.refills, range(refreshes))
                if seen != first_price + round_number)
    delays = [arrived - visibility.first_seen[first_price + round_number]
              for (arrived, _), round_number in zip(application.refills, range(refreshes))
              if first_price + round_number in visibility.first_seen]
    return stale, delays


def standby_has_the_view(pair):
    try:
        return pair.psql("SELECT count(*) FROM pg_class WHERE relname = 'mv_prices'", DB, standby=True) == "1"
    except Exception:
        return False  # the database itself is not replayed yet


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--refreshes", type=int, default=50)
    options = parser.parse_args()
    pair = harness.StreamingPair({"recovery_min_apply_delay": "2s"})
    redis = harness.RedisServer()
    results = {}
    try:
        pair.psql(f"CREATE DATABASE {DB}")
        pair.psql(SCHEMA, DB)
        harness.wait_for(lambda: pair.psql("SELECT count(*) FROM pg_stat_replication") == "1", timeout=60)
        harness.wait_for(lambda: standby_has_the_view(pair), timeout=60)
        results["with the wait (replicas=all)"] = contender(pair, redis, {}, options.refreshes, 1000)
        results["without (replicas=off)"] = contender(pair, redis, {"mvrefresh.invalidation.replicas": "off"},
                                                      options.refreshes, 2000)
    finally:
        redis.stop()
        pair.stop()
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%S')}, {os.cpu_count()} cores, standby replaying 2 s behind, "
          f"{options.refreshes} refreshes each")
    print("| contender | stale refills | message after the standby showed the refresh: p50 / p95 / max |")
    print("|---|---|---|")
    for name, (stale, delays) in results.items():
        print(f"| {name} | {stale} of {options.refreshes} | {statistics.median(delays) * 1000:.0f} ms / "
              f"{harness.percentile(delays, 95) * 1000:.0f} ms / {max(delays) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
