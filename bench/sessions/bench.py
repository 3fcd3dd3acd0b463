#!/usr/bin/env python3
"""Refresh sessions benchmark: what a long-lived PostgreSQL session costs REFRESH ... CONCURRENTLY.

Tiny views (100 rows, a unique index, 50 shared source tables), N of them.
  * one psql session  - the real psql binary refreshes every view CONCURRENTLY, pass after pass, in
                        one session: each pass's time and the backend's memory
                        (pg_backend_memory_contexts) after it; then the same for plain REFRESH.
  * mvrefresh         - two instances on the same database, one keeping its refresh sessions for
                        ever (mvrefresh.refresh-session.max-runs=0), one with the default (sessions
                        replaced after 200 runs). Their bursts of every view (POST /admin/refresh,
                        concurrency 2) alternate, the system catalogs vacuumed before each; after
                        the last, the private memory (RssAnon) of each instance's refresh backends.

Usage: bench/sessions/bench.py [--views 3000] [--passes 3]
Needs: PostgreSQL on 127.0.0.1:5432 on this machine (backend memory is read from /proc), pg_config,
a JDK 21+ in JAVA_HOME and the packaged application (./mvnw package -DskipTests).
"""
import argparse
import os
import sys
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "common"))
import harness  # noqa: E402

DB = "mvrefresh_bench_sessions"
MEMORY = "SELECT 'memory', sum(total_bytes) FROM pg_backend_memory_contexts;\n"
MARK = "SELECT 'mark', extract(epoch FROM clock_timestamp());\n"


def one_session(views, passes, concurrently):
    """Pass times (s) and the backend's memory (MiB) at the start and after each pass, all in one session."""
    script = MEMORY + MARK + (harness.tiny_view_refreshes("bench", range(views), concurrently) + MARK + MEMORY) * passes
    output = harness.psql_script_output(script, DB)
    marks = [float(line.split("|")[1]) for line in output.splitlines() if line.startswith("mark|")]
    memory = [int(line.split("|")[1]) / 1024 / 1024 for line in output.splitlines() if line.startswith("memory|")]
    return [later - earlier for earlier, later in zip(marks, marks[1:])], memory


def private_memory_mib(instance):
    pids = harness.psql(f"SELECT pid FROM pg_stat_activity WHERE application_name = 'mvrefresh/{instance}/refresh'", DB).split()
    sizes = []
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            sizes.append(next(int(line.split()[1]) / 1024 for line in status if line.startswith("RssAnon:")))
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--views", type=int, default=3000)
    parser.add_argument("--passes", type=int, default=3)
    options = parser.parse_args()
    if not os.path.exists(os.path.join(harness.ROOT, "target", "quarkus-app", "quarkus-run.jar")):
        sys.exit("package mvrefresh first: ./mvnw package -DskipTests")
    started_load = harness.load_average()
    harness.recreate_database(DB)
    harness.create_tiny_views(DB, "bench", options.views)

    harness.vacuum_catalogs(DB)
    concurrent_times, concurrent_memory = one_session(options.views, options.passes, True)
    harness.vacuum_catalogs(DB)
    plain_times, plain_memory = one_session(options.views, options.passes, False)

    contenders = {"kept": "0", "replaced": "200"}
    apps = {}
    try:
        for name, max_runs in contenders.items():
            apps[name] = harness.Mvrefresh(DB, {"mvrefresh.discovery.schemas": "bench", "mvrefresh.instance": f"bench-{name}",
                                                "mvrefresh.refresh-session.max-runs": max_runs})
        # The first instance refreshes every view it has never seen refreshed; wait for that to end.
        harness.wait_for(lambda: int(harness.psql(
            "SELECT count(*) FROM mvrefresh.view_state WHERE last_success_at IS NOT NULL", DB)) >= options.views, timeout=1800, every=0.5)
        bursts = {name: [] for name in contenders}
        for _ in range(options.passes):
            for name, app in apps.items():
                harness.vacuum_catalogs(DB)
                bursts[name].append(app.burst(options.views)[0])
        memory = {name: private_memory_mib(f"bench-{name}") for name in contenders}
    finally:
        for app in apps.values():
            app.stop()
    harness.drop_database(DB)

    print(f"# {datetime.now().isoformat(timespec='seconds')}, {os.cpu_count()} cores, load average at start {started_load}, "
          f"at end {harness.load_average()}, {options.views} views, psql {harness.PSQL[0]}")
    print("| one psql session | " + " | ".join(f"pass {i + 1}" for i in range(options.passes)) + " |")
    print("|---|" + "---|" * options.passes)
    print("| CONCURRENTLY: time | " + " | ".join(f"{t:.1f} s" for t in concurrent_times) + " |")
    print(f"| CONCURRENTLY: backend memory after (started at {concurrent_memory[0]:.1f} MiB) | "
          + " | ".join(f"{m:.1f} MiB" for m in concurrent_memory[1:]) + " |")
    print("| plain: time | " + " | ".join(f"{t:.1f} s" for t in plain_times) + " |")
    print(f"| plain: backend memory after (started at {plain_memory[0]:.1f} MiB) | "
          + " | ".join(f"{m:.1f} MiB" for m in plain_memory[1:]) + " |")
    print()
    print("| mvrefresh burst (concurrency 2) | " + " | ".join(f"burst {i + 1}" for i in range(options.passes))
          + " | refresh backends' private memory after |")
    print("|---|" + "---|" * (options.passes + 1))
    for name, max_runs in contenders.items():
        print(f"| refresh-session.max-runs={max_runs} | " + " | ".join(f"{t:.1f} s" for t in bursts[name])
              + " | " + ", ".join(f"{m:.0f} MiB" for m in memory[name]) + " |")


if __name__ == "__main__":
    main()
