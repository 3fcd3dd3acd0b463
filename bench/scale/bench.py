#!/usr/bin/env python3
"""Scale benchmark: what one mvrefresh costs with 100 and 5,000 views, default settings.

For each view count N (tiny views: 100 rows, a unique index, 50 source tables shared among them):
  * burst     - every view refreshed at once (POST /admin/refresh, defaults: skip-unchanged on,
                CONCURRENTLY, concurrency 2), against the one-session floor: the same N
                `REFRESH MATERIALIZED VIEW CONCURRENTLY` statements through one open session of the
                real psql binary, and against the same statements split over two psql sessions at
                once (mvrefresh's default concurrency). The three alternate in every repetition; the
                ratios are medians of the per-repetition ratios; the system catalogs are vacuumed
                before each contender. Also: mvrefresh's JVM CPU per refresh in the burst.
  * idle      - nothing due for two minutes (two catalog rescans included): CPU seconds per minute
                of the mvrefresh JVM and of its PostgreSQL sessions (from /proc).
  * endpoints - /q/metrics as Prometheus asks for it (OpenMetrics, gzip): time, bytes on the wire and
                uncompressed, twice: after the idle window (every view refreshed, none checked yet)
                and in the steady state (every view also checked and found unchanged, so it carries
                mvrefresh_refresh_skipped_total too: the state a view with skip-unchanged stays in);
                GET /admin/views (first page) and /admin/summary: size and time.
  * memory    - resident set size of the JVM (with the image's JVM options and a 384 MiB limit)
                after the burst and idle time, and its peak.
  * check     - the skip-unchanged fingerprint statement for one view, 1000 times in one session.

Usage: bench/scale/bench.py [--views 100 5000] [--runs 3]
Needs: PostgreSQL on 127.0.0.1:5432, pg_config, a JDK 21+ in JAVA_HOME and the packaged
application (./mvnw package -DskipTests).
"""
import argparse
import gzip
import os
import statistics
import sys
import time
import urllib.request
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "common"))
import harness  # noqa: E402

DB = "mvrefresh_bench_scale"
SOURCES = 50
IDLE_SECONDS = 120
# Long enough that nothing comes due between the last burst and the end of the idle window, short
# enough that every view is then checked (and found unchanged) within minutes.
INTERVAL = "5m"
UNCHANGED = 'mvrefresh_refresh_skipped_total{reason="unchanged",view="'


def setup(views):
    harness.recreate_database(DB)
    harness.create_tiny_views(DB, "bench", views, SOURCES)


def floor_burst(views):
    return harness.psql_script(harness.tiny_view_refreshes("bench", range(views)), DB)


def two_sessions_burst(views):
    return harness.psql_scripts_at_once([harness.tiny_view_refreshes("bench", range(0, views, 2)),
                                         harness.tiny_view_refreshes("bench", range(1, views, 2))], DB)


def timed_get(app, path, management=False, times=5):
    samples, size = [], 0
    for _ in range(times):
        started = time.perf_counter()
        body = app.request("GET", path, management=management)
        samples.append(time.perf_counter() - started)
        size = len(body)
    return statistics.median(samples), size


PROMETHEUS_HEADERS = {
    "Accept": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
              "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    "Accept-Encoding": "gzip"}


def fetch_metrics(app):
    """One /q/metrics the way Prometheus fetches it: seconds taken, bytes on the wire, the text."""
    request = urllib.request.Request(f"http://127.0.0.1:{app.management}/q/metrics", headers=PROMETHEUS_HEADERS)
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        wire = response.read()
        encoding = response.headers.get("Content-Encoding")
    elapsed = time.perf_counter() - started
    return elapsed, len(wire), gzip.decompress(wire) if encoding == "gzip" else wire


def scrape(app, times=9, warmup=3):
    """Median time of {times} scrapes, bytes on the wire, bytes uncompressed, series. Prometheus scrapes
    every 15-60 s from the moment a pod starts, so the scrape path is never cold in use: the first
    {warmup} scrapes are not timed (the JVM compiles the text writer's loops during them)."""
    for _ in range(warmup):
        fetch_metrics(app)
    samples = []
    for _ in range(times):
        elapsed, wire, text = fetch_metrics(app)
        samples.append(elapsed)
    print(f"scrape times (ms): {', '.join(f'{sample * 1000:.0f}' for sample in samples)}", file=sys.stderr)
    series = sum(1 for line in text.decode().splitlines() if line and not line.startswith("#"))
    return statistics.median(samples), wire, len(text), series


def checked_unchanged(app, views):
    """Whether every view has been checked and found unchanged at least once."""
    return fetch_metrics(app)[2].decode().count(UNCHANGED) >= views


def fingerprint_cost():
    oid = harness.psql("SELECT 'bench.source_0'::regclass::oid", DB)
    statement = f"""
        WITH roots AS (SELECT c.oid, c.relkind FROM pg_class c WHERE c.oid = ANY('{{{oid}}}'::bigint[]::oid[])),
        leaves AS (SELECT oid FROM roots WHERE relkind <> 'p'
                   UNION ALL SELECT t.relid FROM roots, pg_partition_tree(roots.oid) AS t WHERE roots.relkind = 'p' AND t.isleaf)
        SELECT coalesce(string_agg(format('%s/%s/%s', oid, coalesce(pg_relation_filenode(oid), 0),
               pg_stat_get_tuples_inserted(oid) + pg_stat_get_tuples_updated(oid) + pg_stat_get_tuples_deleted(oid)), ',' ORDER BY oid), '')
        FROM leaves;
    """
    harness.psql_script(statement * 50, DB)
    return harness.psql_script(statement * 1000, DB) / 1000


def measure(views, runs):
    setup(views)
    harness.psql("DROP SCHEMA IF EXISTS mvrefresh CASCADE", DB)
    app = harness.Mvrefresh(DB, {"mvrefresh.discovery.schemas": "bench", "mvrefresh.defaults.interval": INTERVAL})
    result = {"views": views}
    try:
        # Startup refreshes every view once (never refreshed before): that burst also warms the JIT.
        harness.wait_for(lambda: int(harness.psql(
            "SELECT count(*) FROM mvrefresh.refresh_run WHERE outcome = 'success'", DB)) >= views, timeout=1800, every=0.5)
        walls, floors, pairs, cpus = [], [], [], []
        for _ in range(runs):
            harness.vacuum_catalogs(DB)
            floors.append(floor_burst(views))
            harness.vacuum_catalogs(DB)
            pairs.append(two_sessions_burst(views))
            harness.vacuum_catalogs(DB)
            wall, cpu = app.burst(views)
            walls.append(wall)
            cpus.append(cpu)
        result.update(burst=statistics.median(walls), floor=statistics.median(floors), pair=statistics.median(pairs),
                      ratio=harness.paired_ratio(walls, floors), pair_ratio=harness.paired_ratio(walls, pairs),
                      cpu_per_refresh_ms=statistics.median(cpus) / views * 1000)

        time.sleep(5)
        before = app.cpu()
        time.sleep(IDLE_SECONDS)
        jvm, sessions = harness.cpu_between(before, app.cpu())
        result.update(idle_jvm=jvm * 60 / IDLE_SECONDS, idle_sessions=sessions * 60 / IDLE_SECONDS,
                      idle_refreshes=app.last_run_id())

        result["metrics_time"], result["metrics_wire"], result["metrics_bytes"], result["series"] = scrape(app)
        harness.wait_for(lambda: checked_unchanged(app, views), timeout=900, every=10)
        (result["steady_time"], result["steady_wire"], result["steady_bytes"],
         result["steady_series"]) = scrape(app)
        result["views_time"], result["views_bytes"] = timed_get(app, "/admin/views")
        result["summary_time"], result["summary_bytes"] = timed_get(app, "/admin/summary")
        result["rss"] = app.rss_mib()
        with open(f"/proc/{app.process.pid}/status") as f:
            result["rss_peak"] = next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:"))
        result["fingerprint_ms"] = fingerprint_cost() * 1000
    finally:
        app.stop()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--views", type=int, nargs="+", default=[100, 5000])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    if not os.path.exists(os.path.join(harness.ROOT, "target", "quarkus-app", "quarkus-run.jar")):
        sys.exit("package mvrefresh first: ./mvnw package -DskipTests")
    started_load = harness.load_average()
    results = [measure(views, options.runs) for views in options.views]
    harness.drop_database(DB)
    print(f"# {datetime.now().isoformat(timespec='seconds')}, {os.cpu_count()} cores, load average at start {started_load}, "
          f"at end {harness.load_average()}, {options.runs} burst repetitions (interleaved), medians, psql {harness.PSQL[0]}")
    print("| views | burst: mvrefresh | one-session floor | two sessions at once | mvrefresh / floor (paired) "
          "| mvrefresh / two sessions (paired) | JVM CPU per refresh "
          "| idle JVM CPU-s/min | idle PG sessions CPU-s/min | /q/metrics after the burst: time, gzip on the wire, uncompressed, series "
          "| /q/metrics steady: time, gzip on the wire, uncompressed, series "
          "| GET /admin/views | /admin/summary | RSS after / peak | fingerprint check |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['views']} | {r['burst']:.2f} s | {r['floor']:.2f} s | {r['pair']:.2f} s | {r['ratio']:.2f}x | {r['pair_ratio']:.2f}x "
              f"| {r['cpu_per_refresh_ms']:.2f} ms | {r['idle_jvm']:.2f} | {r['idle_sessions']:.2f} "
              f"| {r['metrics_time'] * 1000:.0f} ms, {r['metrics_wire'] / 1024:.0f} KiB, {r['metrics_bytes'] / 1024:.0f} KiB, {r['series']} "
              f"| {r['steady_time'] * 1000:.0f} ms, {r['steady_wire'] / 1024:.0f} KiB, {r['steady_bytes'] / 1024:.0f} KiB, {r['steady_series']} "
              f"| {r['views_bytes'] / 1024:.0f} KiB, {r['views_time'] * 1000:.0f} ms "
              f"| {r['summary_bytes']} B, {r['summary_time'] * 1000:.1f} ms | {r['rss']:.0f} / {r['rss_peak']:.0f} MiB "
              f"| {r['fingerprint_ms']:.3f} ms |")


if __name__ == "__main__":
    main()
