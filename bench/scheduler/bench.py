#!/usr/bin/env python3
"""Scheduler benchmark: 200 small materialized views (each with a unique index) all due at once.

Compares, in one run on one machine against one PostgreSQL:
  * loop      - what users run today: one `psql -c "REFRESH MATERIALIZED VIEW ..."` per view,
                N at a time with `xargs -P N`;
  * floor     - all 200 REFRESH statements sent through one open psql session;
  * mvrefresh - the packaged service (warm: four batches are refreshed and discarded first), asked to
                refresh every view at once with POST /admin/refresh, concurrency N.
All three execute the same statement (plain REFRESH: mvrefresh runs with mode=blocking). psql is
the real binary ($(pg_config --bindir)/psql), not Debian's Perl wrapper, which would double the
loop's cost. The system catalogs are vacuumed before each contender. The three alternate in
every repetition (mvrefresh idles meanwhile), and ratios are
medians of the per-repetition ratios, so a change in the machine's load affects both sides of each.

For mvrefresh it also reports, from mvrefresh.refresh_run:
  * due-to-start: started_at - queued_at (includes waiting for a slot);
  * slot-to-start: how long a run waited after both it was due and a slot was free;
and a steady-state scenario: 20 views on a 1 s interval for 20 s, where a slot is almost always
free, with due-to-start = started_at - (previous finished_at + interval).

Usage: bench/scheduler/bench.py [--runs 5] [--concurrency 2 4]
Needs: PostgreSQL on 127.0.0.1:5432 (user postgres), psql, a JDK 21+ in JAVA_HOME, and the
packaged application (./mvnw package -DskipTests).
"""
import argparse
import heapq
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DB = "mvrefresh_bench"
VIEWS = 200
TOKEN = "bench-token"
# Besides the startup batch: a sidecar runs for days, so it is measured with a warm JIT.
WARM_UP_BATCHES = 3
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "common"))
import harness  # noqa: E402

PG = harness.PSQL


def psql(sql, db=DB):
    return subprocess.run(PG + ["-d", db, "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


def setup():
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", "postgres")
    psql(f"CREATE DATABASE {DB}", "postgres")
    statements = ["CREATE SCHEMA bench",
                  "CREATE TABLE bench.source (id integer PRIMARY KEY, value integer NOT NULL)",
                  "INSERT INTO bench.source SELECT g, g * 7 % 1000 FROM generate_series(1, 1000) g"]
    for i in range(1, VIEWS + 1):
        statements.append(f"CREATE MATERIALIZED VIEW bench.mv_{i:03d} AS "
                          f"SELECT id, value + {i} AS value FROM bench.source WHERE id % 10 = {i % 10}")
        statements.append(f"CREATE UNIQUE INDEX ON bench.mv_{i:03d} (id)")
    for i in range(1, 21):
        statements.append(f"CREATE MATERIALIZED VIEW bench.steady_{i:02d} AS SELECT id FROM bench.source WHERE id <= {i}")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(";\n".join(statements) + ";\n")
    subprocess.run(PG + ["-d", DB, "-f", f.name], check=True, capture_output=True)
    os.unlink(f.name)


def view_names():
    return [f"bench.mv_{i:03d}" for i in range(1, VIEWS + 1)]


def time_loop(parallelism):
    started = time.monotonic()
    subprocess.run(["xargs", "-P", str(parallelism), "-I{}"] + PG + ["-d", DB, "-c", "REFRESH MATERIALIZED VIEW {}"],
                   input="\n".join(view_names()), text=True, check=True, capture_output=True)
    return time.monotonic() - started


def time_one_session():
    script = "".join(f"REFRESH MATERIALIZED VIEW {v};\n" for v in view_names())
    started = time.monotonic()
    subprocess.run(PG + ["-d", DB], input=script, text=True, check=True, capture_output=True)
    return time.monotonic() - started


class Mvrefresh:
    def __init__(self, concurrency, include, interval="1d"):
        self.port = free_port()
        java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
        # The image's JVM options (docker/Dockerfile.jvm), as the other benchmarks run it.
        args = [java] + harness.JVM_OPTIONS + [
                f"-Dquarkus.http.port={self.port}", "-Dquarkus.management.port=0",
                f"-Dquarkus.datasource.reactive.url=postgresql://127.0.0.1:5432/{DB}",
                f"-Dquarkus.datasource.username={os.environ.get('PGUSER', 'postgres')}",
                f"-Dquarkus.datasource.password={os.environ.get('PGPASSWORD', 'postgres')}",
                f"-Dquarkus.datasource.reactive.max-size={max(4, concurrency + 2)}",
                "-Dquarkus.log.category.\"io.mvrefresh\".level=WARN",
                f"-Dmvrefresh.admin.token={TOKEN}", f"-Dmvrefresh.concurrency={concurrency}",
                "-Dmvrefresh.discovery.schemas=bench", f"-Dmvrefresh.discovery.include={include}",
                f"-Dmvrefresh.defaults.interval={interval}", "-Dmvrefresh.defaults.mode=blocking",
                "-Dmvrefresh.defaults.skip-unchanged=false",
                "-jar", os.path.join(ROOT, "target", "quarkus-app", "quarkus-run.jar")]
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                        env={**os.environ, **harness.JVM_ENVIRONMENT})

    def post(self, path):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method="POST",
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise TimeoutError("benchmark condition not reached")


def runs(where):
    rows = psql("SELECT view, extract(epoch FROM queued_at), extract(epoch FROM started_at), "
                f"extract(epoch FROM finished_at), outcome FROM mvrefresh.refresh_run WHERE {where} ORDER BY started_at")
    result = []
    for line in rows.splitlines():
        view, queued, started, finished, outcome = line.split("|")
        result.append({"view": view, "queued": float(queued), "started": float(started),
                       "finished": float(finished), "outcome": outcome})
    return result


def slot_to_start(batch, concurrency):
    """Per run: start - max(queued, the instant a slot became free), replaying slots in start order."""
    free = [float("-inf")] * concurrency
    heapq.heapify(free)
    events = sorted([(r["started"], 1, r) for r in batch] + [(r["finished"], 0, r) for r in batch],
                    key=lambda e: (e[0], e[1]))
    waits = []
    for at, kind, run in events:
        if kind == 0:
            heapq.heappush(free, at)
        else:
            slot_free_since = heapq.heappop(free)
            waits.append(at - max(run["queued"], slot_free_since))
    return waits


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def mvrefresh_batch(app, concurrency):
    last_id = int(psql("SELECT coalesce(max(id), 0) FROM mvrefresh.refresh_run"))
    tickets = app.post("/admin/refresh")
    assert len(tickets) == VIEWS, f"expected {VIEWS} runs, got {len(tickets)}"
    wait_for(lambda: int(psql(f"SELECT count(*) FROM mvrefresh.refresh_run WHERE id > {last_id}")) >= VIEWS)
    batch = runs(f"id > {last_id}")
    assert all(r["outcome"] == "success" for r in batch), "a benchmark refresh failed"
    due_to_start = [r["started"] - r["queued"] for r in batch]
    slot = slot_to_start(batch, concurrency)
    return {"wall": max(r["finished"] for r in batch) - min(r["queued"] for r in batch),
            "due_p50": percentile(due_to_start, 50), "due_p99": percentile(due_to_start, 99),
            "slot_p50": percentile(slot, 50), "slot_p99": percentile(slot, 99)}


def bench_interleaved(concurrency, repetitions):
    """Per repetition: the floor, the loop and one mvrefresh batch, back to back."""
    psql("DROP SCHEMA IF EXISTS mvrefresh CASCADE")
    app = Mvrefresh(concurrency, "mv_*")
    try:
        # Startup refreshes every view once (never refreshed before): that batch warms the JVM.
        wait_for(lambda: psql("SELECT to_regclass('mvrefresh.refresh_run') IS NOT NULL") == "t"
                 and int(psql("SELECT count(*) FROM mvrefresh.refresh_run WHERE outcome = 'success'")) >= VIEWS)
        for _ in range(WARM_UP_BATCHES):
            mvrefresh_batch(app, concurrency)
        results = []
        for _ in range(repetitions):
            harness.vacuum_catalogs(DB)
            floor = time_one_session()
            harness.vacuum_catalogs(DB)
            loop = time_loop(concurrency)
            harness.vacuum_catalogs(DB)
            batch = mvrefresh_batch(app, concurrency)
            batch.update(floor=floor, loop=loop)
            results.append(batch)
        return results
    finally:
        app.stop()


def bench_steady_state(seconds=20):
    psql("DROP SCHEMA IF EXISTS mvrefresh CASCADE")
    app = Mvrefresh(4, "steady_*", interval="1s")
    try:
        time.sleep(seconds)
    finally:
        app.stop()
    by_view = {}
    for run in runs("outcome = 'success'"):
        by_view.setdefault(run["view"], []).append(run)
    latencies = []
    for view_runs in by_view.values():
        for previous, current in zip(view_runs, view_runs[1:]):
            latencies.append(current["started"] - (previous["finished"] + 1.0))
    return latencies


def median(rows, key):
    return statistics.median(r[key] for r in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[2, 4])
    options = parser.parse_args()
    if not os.path.exists(os.path.join(ROOT, "target", "quarkus-app", "quarkus-run.jar")):
        sys.exit("package mvrefresh first: ./mvnw package -DskipTests")

    setup()
    print(f"# {datetime.now().isoformat(timespec='seconds')}, {os.cpu_count()} cores, load average {harness.load_average()}, "
          f"{psql('SHOW server_version')}, {PG[0]}, {options.runs} interleaved repetitions, medians and paired ratios")
    print("| concurrency | psql loop (xargs -P) | one psql session (floor) | mvrefresh | mvrefresh / loop | mvrefresh / floor "
          "| due-to-start p50 / p99 | slot-free-to-start p50 / p99 |")
    print("|---|---|---|---|---|---|---|---|")
    for concurrency in options.concurrency:
        mv = bench_interleaved(concurrency, options.runs)
        wall, loop, floor = median(mv, "wall"), median(mv, "loop"), median(mv, "floor")
        to_loop = statistics.median(r["wall"] / r["loop"] for r in mv)
        to_floor = statistics.median(r["wall"] / r["floor"] for r in mv)
        print(f"| {concurrency} | {loop:.3f} s | {floor:.3f} s | {wall:.3f} s | {to_loop:.2f}x | {to_floor:.2f}x "
              f"| {median(mv, 'due_p50') * 1000:.0f} ms / {median(mv, 'due_p99') * 1000:.0f} ms "
              f"| {median(mv, 'slot_p50') * 1000:.2f} ms / {median(mv, 'slot_p99') * 1000:.2f} ms |", flush=True)
    steady = bench_steady_state()
    print(f"\nSteady state (20 views, interval 1s, concurrency 4, 20 s, {len(steady)} scheduled runs): "
          f"due-to-start p50 {percentile(steady, 50) * 1000:.1f} ms, p99 {percentile(steady, 99) * 1000:.1f} ms, "
          f"max {max(steady) * 1000:.1f} ms")
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", "postgres")


if __name__ == "__main__":
    main()
