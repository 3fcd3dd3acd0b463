#!/usr/bin/env python3
"""Redis Cluster invalidation benchmark: 1 000 000 keys on three primaries, 50 000 matching one
view's pattern, spread over every slot.

Compares, in one run against one cluster the benchmark starts itself (nothing else uses it):
  * script    - what a careful hand-written script does on a cluster: on each primary in turn,
                SCAN MATCH pattern COUNT 1000, and each batch found UNLINKed slot by slot (a
                multi-key UNLINK across slots fails with CROSSSLOT), the batch's UNLINKs pipelined
                in one round trip before the next SCAN;
  * mvrefresh - the packaged service in cluster mode (quarkus.redis.client-type=cluster), warm,
                refreshing a view whose rule is `invalidate.patterns=pattern`; its time is the
                pattern strategy's own duration (mvrefresh_cache_invalidation_duration_seconds).
While each runs, a separate client sends GETs back to back to one primary and records every
latency: what the other clients of the cluster see. The 50 000 matching keys are recreated
before every run; the other 950 000 stay.

Usage: bench/cluster/bench.py [--runs 5]
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
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "common"))
import harness  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "invalidation"))
from bench import Probe  # noqa: E402

DB = "mvrefresh_bench_cluster"
TOTAL, MATCHING = 1_000_000, 50_000
PATTERN = "bench:view:*"
WARM_UP = 3


def script(ports):
    """One primary after another, as an operator's script would walk them."""
    started = time.monotonic()
    for port in ports:
        client = harness.RedisClient(port)
        cursor = b"0"
        while True:
            cursor, keys = client.command("SCAN", cursor.decode(), "MATCH", PATTERN, "COUNT", "1000")
            by_slot = {}
            for key in keys:
                by_slot.setdefault(harness.key_slot(key), []).append(key.decode())
            if by_slot:
                client.pipeline([["UNLINK", *slot_keys] for slot_keys in by_slot.values()])
            if cursor == b"0":
                break
        client.close()
    return time.monotonic() - started


def pattern_seconds(app):
    text = app.request("GET", "/q/metrics", management=True).decode()
    match = re.search(r'^mvrefresh_cache_invalidation_duration_seconds_sum\{strategy="pattern"\} (\S+)$', text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def pending(app):
    text = app.request("GET", "/q/metrics", management=True).decode()
    return float(re.search(r"^mvrefresh_cache_invalidation_pending (\S+)$", text, re.MULTILINE).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--script", nargs="+", type=int, metavar="PORT", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.script:
        print(script(options.script))
        return

    harness.recreate_database(DB)
    # A row that differs at every refresh: a refresh that changed no row invalidates nothing.
    harness.psql("CREATE MATERIALIZED VIEW mv_bench AS SELECT 1 AS id, clock_timestamp() AS refreshed_at;"
                 " CREATE UNIQUE INDEX ON mv_bench (id)", DB)
    cluster = harness.RedisCluster(3)
    matching = [f"bench:view:{i}" for i in range(MATCHING)]
    cluster.load(f"bench:other:{i}" for i in range(TOTAL - MATCHING))
    probe_port = cluster.owner[harness.key_slot("probe:value")]
    harness.RedisClient(probe_port).command("SET", "probe:value", "x")
    app = harness.Mvrefresh(DB, {"quarkus.redis.client-type": "cluster", "quarkus.redis.hosts": cluster.hosts(),
                                 "mvrefresh.defaults.interval": "1d",
                                 'mvrefresh.views."public.mv_bench".invalidate.patterns': PATTERN})

    def mvrefresh_run():
        before = pattern_seconds(app)
        app.post("/admin/views/public.mv_bench/refresh?wait=30s")
        harness.wait_for(lambda: pending(app) == 0 and pattern_seconds(app) != before, timeout=120, every=0.01)
        return pattern_seconds(app) - before

    contenders = {
        # A process of its own: in this one it would share the interpreter lock with the probe.
        "SCAN COUNT 1000 + UNLINK per slot, each primary (script)": lambda: float(subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--script", *[str(port) for port in cluster.ports]],
            check=True, capture_output=True, text=True).stdout),
        "mvrefresh (cluster mode)": mvrefresh_run,
    }
    results = {name: [] for name in contenders}
    try:
        for _ in range(WARM_UP):
            cluster.load(matching)
            mvrefresh_run()
        for _ in range(options.runs):
            for name, run in contenders.items():
                cluster.load(matching)
                assert cluster.count(PATTERN) == MATCHING
                with Probe(probe_port) as probe:
                    took = run()
                assert cluster.count(PATTERN) == 0, f"{name} left matching keys"
                assert cluster.count("bench:other:*") == TOTAL - MATCHING, f"{name} removed other keys"
                results[name].append((took, harness.percentile(probe.latencies, 99), max(probe.latencies), len(probe.latencies)))
    finally:
        app.stop()
        cluster.stop()
        harness.drop_database(DB)

    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%S')}, {os.cpu_count()} cores, "
          f"{subprocess.run(['redis-server', '--version'], capture_output=True, text=True).stdout.split()[2]}, "
          f"3 primaries, {TOTAL} keys, {MATCHING} matching, {options.runs} runs each, medians")
    baseline = results["SCAN COUNT 1000 + UNLINK per slot, each primary (script)"]
    print("| approach | time | / script (paired) | other clients' GET p99 | GET max | GETs measured |")
    print("|---|---|---|---|---|---|")
    for name, runs in results.items():
        ratio = statistics.median(r[0] / s[0] for r, s in zip(runs, baseline))
        print(f"| {name} | {statistics.median(r[0] for r in runs) * 1000:.0f} ms | {ratio:.2f}x "
              f"| {statistics.median(r[1] for r in runs) * 1000:.2f} ms | {statistics.median(r[2] for r in runs) * 1000:.2f} ms "
              f"| {int(statistics.median(r[3] for r in runs))} |")


if __name__ == "__main__":
    main()
