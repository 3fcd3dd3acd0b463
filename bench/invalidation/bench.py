#!/usr/bin/env python3
"""Invalidation benchmark: 1 000 000 keys in Redis, 50 000 of them matching one view's pattern.

Compares, in one run against one Redis server the benchmark starts itself (nothing else uses it):
  * KEYS + DEL  - the naive approach: `redis-cli KEYS pattern | xargs redis-cli DEL`;
  * redis-cli   - `redis-cli --scan --pattern pattern | xargs redis-cli unlink`;
  * SCAN+UNLINK - what a careful hand-written script does: SCAN MATCH pattern COUNT 1000 on one
                  connection, each batch found UNLINKed before the next SCAN (the same batch size
                  as mvrefresh's default scan-count);
  * mvrefresh   - the packaged service, warm, refreshing a view whose rule is
                  `invalidate.patterns=pattern`; its time is the pattern strategy's own duration
                  (mvrefresh_cache_invalidation_duration_seconds).
While each runs, a separate client sends GETs back to back and records every latency: what the
other clients of a production Redis would see. The 50 000 matching keys are recreated before
every run; the other 950 000 stay.

Usage: bench/invalidation/bench.py [--runs 5]
Needs: redis-server and redis-cli, PostgreSQL on 127.0.0.1:5432, a JDK 21+ in JAVA_HOME and the
packaged application (./mvnw package -DskipTests).
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import json
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "common"))
import harness  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DB = "mvrefresh_bench_invalidation"
TOKEN = "bench-token"
TOTAL, MATCHING = 1_000_000, 50_000
PATTERN = "bench:view:*"
PG = ["psql", "-X", "-q", "-At", "-h", "127.0.0.1", "-U", os.environ.get("PGUSER", "postgres")]
WARM_UP = 3


def psql(sql, db=DB):
    return subprocess.run(PG + ["-d", db, "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


class Redis(harness.RedisServer):
    """The benchmark's own Redis server, loaded and counted through redis-cli."""

    def cli(self, *args, stdin=None):
        result = subprocess.run(["redis-cli", "-p", str(self.port)] + list(args), input=stdin, capture_output=True, text=True)
        return result.stdout.strip()

    def load(self, prefix, start, count):
        """SETs through redis-cli --pipe, in the protocol, so a million keys take seconds."""
        def command(key):
            return f"*3\r\n$3\r\nSET\r\n${len(key)}\r\n{key}\r\n$6\r\ncached\r\n"
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            for i in range(start, start + count):
                f.write(command(f"{prefix}{i}"))
        with open(f.name, "rb") as data:
            subprocess.run(["redis-cli", "-p", str(self.port), "--pipe"], stdin=data, check=True, capture_output=True)
        os.unlink(f.name)

    def count(self, pattern):
        return int(subprocess.run(f"redis-cli -p {self.port} --scan --pattern '{pattern}' | sort -u | wc -l",
                                  shell=True, capture_output=True, text=True).stdout.strip())

class Probe:
    """Another client: GET back to back on its own connection, every latency recorded."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request = b"*2\r\n$3\r\nGET\r\n$11\r\nprobe:value\r\n"
        self.latencies = []
        self.running = False

    def _loop(self):
        while self.running:
            started = time.perf_counter()
            self.sock.sendall(self.request)
            reply = b""
            while not reply.endswith(b"\r\n") or (reply.startswith(b"$") and reply.count(b"\r\n") < 2 and not reply.startswith(b"$-1")):
                reply += self.sock.recv(4096)
            self.latencies.append(time.perf_counter() - started)

    def __enter__(self):
        self.latencies = []
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


class Mvrefresh:
    def __init__(self, redis_port):
        self.port = harness.free_port()
        self.management = harness.free_port()
        java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
        # The image's JVM options and environment, as the other benchmarks start it.
        self.process = subprocess.Popen([java, *harness.JVM_OPTIONS,
            f"-Dquarkus.http.port={self.port}", f"-Dquarkus.management.port={self.management}",
            f"-Dquarkus.datasource.reactive.url=postgresql://127.0.0.1:5432/{DB}",
            f"-Dquarkus.datasource.username={os.environ.get('PGUSER', 'postgres')}",
            f"-Dquarkus.datasource.password={os.environ.get('PGPASSWORD', 'postgres')}",
            f"-Dquarkus.redis.hosts=redis://127.0.0.1:{redis_port}",
            "-Dquarkus.log.category.\"io.mvrefresh\".level=WARN",
            f"-Dmvrefresh.admin.token={TOKEN}", "-Dmvrefresh.defaults.interval=1d",
            "-Dmvrefresh.views.\"public.mv_bench\".invalidate.patterns=" + PATTERN,
            "-jar", os.path.join(ROOT, "target", "quarkus-app", "quarkus-run.jar")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env={**os.environ, **harness.JVM_ENVIRONMENT})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.management}/q/health/started")
                return
            except Exception:
                time.sleep(0.2)
        raise TimeoutError("mvrefresh did not start")

    def pattern_seconds(self):
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.management}/q/metrics").read().decode()
        match = re.search(r'^mvrefresh_cache_invalidation_duration_seconds_sum\{strategy="pattern"\} (\S+)$',
                          text, re.MULTILINE)
        return float(match.group(1)) if match else 0.0

    def pending(self):
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.management}/q/metrics").read().decode()
        return float(re.search(r"^mvrefresh_cache_invalidation_pending (\S+)$", text, re.MULTILINE).group(1))

    def refresh(self):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/admin/views/public.mv_bench/refresh?wait=30s",
                                         method="POST", headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request) as response:
            assert json.loads(response.read())["outcome"] == "success"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)


def scan_unlink_script(port):
    client = harness.RedisClient(port)
    started = time.monotonic()
    cursor = b"0"
    while True:
        cursor, keys = client.command("SCAN", cursor.decode(), "MATCH", PATTERN, "COUNT", "1000")
        if keys:
            client.command("UNLINK", *[key.decode() for key in keys])
        if cursor == b"0":
            break
    took = time.monotonic() - started
    client.close()
    return took


def shell(command):
    started = time.monotonic()
    subprocess.run(command, shell=True, check=True, capture_output=True)
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scan-unlink", type=int, metavar="PORT", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.scan_unlink:
        print(scan_unlink_script(options.scan_unlink))
        return

    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", "postgres")
    psql(f"CREATE DATABASE {DB}", "postgres")
    # A row that differs at every refresh: a refresh that changed no row invalidates nothing.
    psql("CREATE MATERIALIZED VIEW mv_bench AS SELECT 1 AS id, clock_timestamp() AS refreshed_at;"
         " CREATE UNIQUE INDEX ON mv_bench (id)")
    redis = Redis()
    redis.load("bench:other:", 0, TOTAL - MATCHING)
    redis.cli("SET", "probe:value", "x")
    app = Mvrefresh(redis.port)
    results = {"KEYS + DEL": [], "redis-cli --scan | xargs unlink": [], "SCAN COUNT 1000 + UNLINK script": [], "mvrefresh": []}

    def mvrefresh_run():
        before = app.pattern_seconds()
        app.refresh()
        deadline = time.monotonic() + 60
        while app.pending() > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        while app.pattern_seconds() == before and time.monotonic() < deadline:
            time.sleep(0.01)
        return app.pattern_seconds() - before

    contenders = {
        "KEYS + DEL": lambda: shell(f"redis-cli -p {redis.port} --raw KEYS '{PATTERN}' | xargs -n 10000 redis-cli -p {redis.port} DEL"),
        "redis-cli --scan | xargs unlink": lambda: shell(
            f"redis-cli -p {redis.port} --scan --pattern '{PATTERN}' | xargs redis-cli -p {redis.port} unlink"),
        # A process of its own, like the other baselines: in this one it would share the
        # interpreter lock with the probe and slow both down.
        "SCAN COUNT 1000 + UNLINK script": lambda: float(subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--scan-unlink", str(redis.port)],
            check=True, capture_output=True, text=True).stdout),
        "mvrefresh": mvrefresh_run,
    }
    try:
        for _ in range(WARM_UP):
            redis.load("bench:view:", 0, MATCHING)
            mvrefresh_run()
        for _ in range(options.runs):
            for name, run in contenders.items():
                redis.load("bench:view:", 0, MATCHING)
                assert redis.count(PATTERN) == MATCHING
                with Probe(redis.port) as probe:
                    took = run()
                assert redis.count(PATTERN) == 0, f"{name} left matching keys"
                assert redis.count("bench:other:*") == TOTAL - MATCHING, f"{name} removed other keys"
                results[name].append((took, harness.percentile(probe.latencies, 99), max(probe.latencies), len(probe.latencies)))
        incr = timed_incr(redis.port)
    finally:
        app.stop()
        redis.stop()
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", "postgres")

    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%S')}, {os.cpu_count()} cores, "
          f"{subprocess.run(['redis-server', '--version'], capture_output=True, text=True).stdout.split()[2]}, "
          f"{TOTAL} keys, {MATCHING} matching, {options.runs} runs each, medians")
    # Contenders run interleaved in every repetition, so each ratio compares runs made under the same load.
    script = results["SCAN COUNT 1000 + UNLINK script"]
    print("| approach | time | / script (paired) | other clients' GET p99 | GET max | GETs measured |")
    print("|---|---|---|---|---|---|")
    for name, runs in results.items():
        ratio = statistics.median(r[0] / s[0] for r, s in zip(runs, script))
        print(f"| {name} | {statistics.median(r[0] for r in runs) * 1000:.0f} ms | {ratio:.2f}x "
              f"| {statistics.median(r[1] for r in runs) * 1000:.2f} ms | {statistics.median(r[2] for r in runs) * 1000:.2f} ms "
              f"| {int(statistics.median(r[3] for r in runs))} |")
    print(f"\nGeneration key INCR round trip (1000 in a row, median): {incr * 1000:.3f} ms")


def timed_incr(port):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    samples = []
    for _ in range(1000):
        started = time.perf_counter()
        sock.sendall(b"*2\r\n$4\r\nINCR\r\n$16\r\nbench:generation\r\n")
        reply = b""
        while not reply.endswith(b"\r\n"):
            reply += sock.recv(64)
        samples.append(time.perf_counter() - started)
    sock.close()
    return statistics.median(samples)


if __name__ == "__main__":
    main()
