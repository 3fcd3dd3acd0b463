#!/usr/bin/env python3
"""No-op refresh benchmark: a seed-style workload in which half the writes do not change the view.

A table of orders; the view keeps the paid ones (unique index, so it can refresh CONCURRENTLY),
its cache keys are `bench:paid:*`, and a second view reads it. Each round writes once (an open
order's amount, which the view filters out, or a paid order's amount, which it shows,
alternately), caches 100 keys, forces a refresh of the view and waits until mvrefresh is idle
(the reader's cascade and the invalidation included). Counted per contender: cache keys deleted,
reader refreshes, and the view's refresh time.

  * with no-op detection    - mode auto: REFRESH CONCURRENTLY, whose merge tells how many rows
                              changed; a refresh that changed none invalidates nothing and makes
                              no reader due;
  * without (plain refresh) - mode blocking: a plain REFRESH rewrites every row and cannot tell,
                              so every refresh invalidates and cascades, as any refresher that
                              cannot tell must.

Usage: bench/noop/bench.py [--rounds 100] [--runs 3]
Needs: redis-server and redis-cli, PostgreSQL on 127.0.0.1:5432, a JDK 21+ in JAVA_HOME and the
packaged application (./mvnw package -DskipTests).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "common"))
import harness  # noqa: E402

DB = "mvrefresh_bench_noop"
KEYS_PER_ROUND = 100
SCHEMA = """
CREATE TABLE orders (id integer PRIMARY KEY, status text NOT NULL, amount integer NOT NULL);
INSERT INTO orders SELECT g, CASE WHEN g % 2 = 0 THEN 'paid' ELSE 'open' END, g FROM generate_series(1, 10000) g;
CREATE MATERIALIZED VIEW mv_paid AS SELECT id, amount FROM orders WHERE status = 'paid';
CREATE UNIQUE INDEX ON mv_paid (id);
CREATE MATERIALIZED VIEW mv_paid_by_bucket AS SELECT id / 100 AS bucket, count(*) AS orders, sum(amount) AS total
FROM mv_paid GROUP BY id / 100;
CREATE UNIQUE INDEX ON mv_paid_by_bucket (bucket);
"""


def metric(app, name):
    text = app.request("GET", "/q/metrics", management=True).decode()
    return sum(float(value) for value in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE))


def idle(app):
    """Nothing running, queued or waiting to be invalidated, three looks in a row 100 ms apart."""
    for _ in range(3):
        if metric(app, "mvrefresh_refresh_in_flight") or metric(app, "mvrefresh_queue_depth") \
                or metric(app, "mvrefresh_cache_invalidation_pending"):
            return False
        time.sleep(0.1)
    return True


def contender(mode, rounds, redis):
    harness.recreate_database(DB)
    harness.psql(SCHEMA, DB)
    app = harness.Mvrefresh(DB, {"mvrefresh.defaults.interval": "1d", "mvrefresh.defaults.skip-unchanged": "false",
                                 'mvrefresh.views."public.mv_paid".mode': mode,
                                 'mvrefresh.views."public.mv_paid".invalidate.patterns': "bench:paid:*"},
                            redis_port=redis.port)
    try:
        harness.wait_for(lambda: idle(app), timeout=120)
        first = app.last_run_id()
        for round_number in range(rounds):
            # Odd rounds touch an open order (filtered out), even ones a paid order (shown).
            order = 2 * (round_number % 5000) + (1 if round_number % 2 else 2)
            harness.psql(f"UPDATE orders SET amount = amount + 1 WHERE id = {order}", DB)
            client = harness.RedisClient(redis.port)
            client.pipeline([["SET", f"bench:paid:{i}", "cached"] for i in range(KEYS_PER_ROUND)])
            client.close()
            app.post("/admin/views/public.mv_paid/refresh?wait=60s")
            harness.wait_for(lambda: idle(app), timeout=120)
        rows = harness.psql(f"""
            SELECT coalesce(sum(keys_invalidated) FILTER (WHERE view = 'public.mv_paid'), 0),
                   count(*) FILTER (WHERE view = 'public.mv_paid_by_bucket'),
                   count(*) FILTER (WHERE view = 'public.mv_paid' AND rows_changed = 0),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at))
                       FILTER (WHERE view = 'public.mv_paid')
              FROM mvrefresh.refresh_run WHERE id > {first} AND outcome = 'success'""", DB).split("|")
        return int(rows[0]), int(rows[1]), int(rows[2]), float(rows[3])
    finally:
        app.stop()
        harness.drop_database(DB)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    redis = harness.RedisServer()
    results = {"with no-op detection (CONCURRENTLY)": [], "without (plain refresh)": []}
    try:
        for _ in range(options.runs):
            results["with no-op detection (CONCURRENTLY)"].append(contender("auto", options.rounds, redis))
            results["without (plain refresh)"].append(contender("blocking", options.rounds, redis))
    finally:
        redis.stop()
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%S')}, {os.cpu_count()} cores, {options.rounds} rounds "
          f"(half of the writes change the view), {KEYS_PER_ROUND} keys cached per round, {options.runs} runs each, medians")
    print("| contender | cache keys deleted | reader refreshes | refreshes that changed no row | view refresh p50 |")
    print("|---|---|---|---|---|")
    for name, runs in results.items():
        print(f"| {name} | {int(statistics.median(r[0] for r in runs))} | {int(statistics.median(r[1] for r in runs))} "
              f"| {int(statistics.median(r[2] for r in runs))} | {statistics.median(r[3] for r in runs) * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
