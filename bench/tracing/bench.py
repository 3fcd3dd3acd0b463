#!/usr/bin/env python3
"""Tracing cost: the scale benchmark's burst and idle CPU with tracing off, on at 100 % and on at 1 %.

N tiny views (as bench/scale: 100 rows, a unique index, 50 source tables), default settings. Three
configurations of the same packaged application, each started in turn in every repetition (so a
slow minute of the machine falls on all three alike):
  * off   - no exporter endpoint: the OpenTelemetry SDK is off (the default);
  * 100 % - an OTLP/HTTP endpoint (a receiver in this script that accepts and counts), every run traced;
  * 1 %   - the same endpoint, quarkus.otel.traces.sampler.arg=0.01.
Per configuration: the burst (POST /admin/refresh, every view; wall time from the first run queued
to the last finished, and the JVM's CPU per refresh), then an idle window with nothing due: CPU
seconds per minute of the JVM. Also the spans the receiver was sent per burst (export requests and bytes).

Usage: bench/tracing/bench.py [--views 5000] [--runs 3] [--idle 120]
Needs: PostgreSQL on 127.0.0.1:5432, a JDK 21+ in JAVA_HOME and the packaged application
(./mvnw package -DskipTests).
"""
import argparse
import http.server
import os
import statistics
import sys
import threading
import time
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "common"))
import harness  # noqa: E402

DB = "mvrefresh_bench_tracing"
SOURCES = 50


class Receiver(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP trace receiver: accepts every export, counts requests and bytes."""
    requests = 0
    received = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Receiver.requests += 1
        Receiver.received += len(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def configurations(endpoint):
    on = {"quarkus.otel.exporter.otlp.traces.endpoint": endpoint,
          "quarkus.otel.exporter.otlp.traces.protocol": "http/protobuf"}
    return [("off", {}), ("100 %", on), ("1 %", {**on, "quarkus.otel.traces.sampler.arg": "0.01"})]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--views", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=int, default=120)
    options = parser.parse_args()
    if not os.path.exists(os.path.join(harness.ROOT, "target", "quarkus-app", "quarkus-run.jar")):
        sys.exit("package mvrefresh first: ./mvnw package -DskipTests")
    started_load = harness.load_average()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"

    harness.recreate_database(DB)
    harness.create_tiny_views(DB, "bench", options.views, SOURCES)
    results = {name: {"walls": [], "cpus": [], "idle": [], "requests": [], "bytes": []}
               for name, _ in configurations(endpoint)}
    # Every view refreshed once, so no configuration's start pays for the first refreshes.
    app = harness.Mvrefresh(DB, {"mvrefresh.discovery.schemas": "bench", "mvrefresh.defaults.interval": "1h"})
    harness.wait_for(lambda: int(harness.psql(
        "SELECT count(*) FROM mvrefresh.refresh_run WHERE outcome = 'success'", DB)) >= options.views, timeout=1800, every=0.5)
    app.stop()
    for _ in range(options.runs):
        for name, settings in configurations(endpoint):
            app = harness.Mvrefresh(DB, {"mvrefresh.discovery.schemas": "bench", "mvrefresh.defaults.interval": "1h",
                                         **settings})
            try:
                harness.vacuum_catalogs(DB)
                requests, received = Receiver.requests, Receiver.received
                wall, cpu = app.burst(options.views)
                time.sleep(5)  # the last batch of spans leaves within the exporter's 5 s schedule
                results[name]["walls"].append(wall)
                results[name]["cpus"].append(cpu)
                results[name]["requests"].append(Receiver.requests - requests)
                results[name]["bytes"].append(Receiver.received - received)
                before = app.cpu()
                time.sleep(options.idle)
                jvm, _ = harness.cpu_between(before, app.cpu())
                results[name]["idle"].append(jvm * 60 / options.idle)
            finally:
                app.stop()
    server.shutdown()
    harness.drop_database(DB)
    off = results["off"]
    print(f"# {datetime.now().isoformat(timespec='seconds')}, {os.cpu_count()} cores, load average at start {started_load}, "
          f"at end {harness.load_average()}, {options.views} views, {options.runs} repetitions (configurations interleaved), medians")
    print("| tracing | burst | burst / off (paired) | JVM CPU per refresh | idle JVM CPU-s/min | exported per burst |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {statistics.median(r['walls']):.2f} s | {harness.paired_ratio(r['walls'], off['walls']):.2f}x "
              f"| {statistics.median(r['cpus']) / options.views * 1000:.2f} ms | {statistics.median(r['idle']):.2f} "
              f"| {statistics.median(r['requests']):.0f} requests, {statistics.median(r['bytes']) / 1024:.0f} KiB |")


if __name__ == "__main__":
    main()
