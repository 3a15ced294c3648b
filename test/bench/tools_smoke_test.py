#!/usr/bin/env python3
"""Smoke test of the benchmark tools (no collector, no timing asserted):
bench_loadgen sends each signal over gRPC and OTLP/HTTP (plain and gzip)
straight to bench_sink, which must count every item once, with its id and a
latency, and clear its counters on POST /reset. bench_wake_floor, given,
must serve its requests and print what they cost, and refuse bad arguments.

    tools_smoke_test.py BENCH_LOADGEN BENCH_SINK [BENCH_WAKE_FLOOR]
"""

import json
import re
import subprocess
import sys
import urllib.request


def check_wake_floor(floor_bin, failures):
    r = subprocess.run([floor_bin, "--connections", "3", "--rate", "200", "--request-bytes", "5000",
                        "--items", "10", "--seconds", "1", "--server-cpu", "0", "--client-cpu", "0"],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"server CPU ([0-9.]+) us per request \(([0-9]+) requests, ([0-9]+) wake-ups\), "
                  r"([0-9.]+) CPU-s per million items at 10 items per request", r.stdout)
    if r.returncode != 0 or not m:
        failures.append(f"bench_wake_floor exited {r.returncode}: {r.stdout.strip()} {r.stderr.strip()}")
    elif int(m.group(2)) == 0 or int(m.group(3)) == 0:
        failures.append(f"bench_wake_floor: {m.group(2)} requests in {m.group(3)} wake-ups")
    bad = subprocess.run([floor_bin, "--rate", "0"], capture_output=True, text=True, timeout=10)
    if bad.returncode != 2 or "usage" not in bad.stderr:
        failures.append(f"bench_wake_floor --rate 0: exit {bad.returncode}, {bad.stderr.strip()}")


def main():
    loadgen, sink_bin = sys.argv[1], sys.argv[2]
    sink = subprocess.Popen([sink_bin], stdout=subprocess.PIPE, text=True)
    failures = []
    try:
        ready = json.loads(sink.stdout.readline())
        base = f"http://127.0.0.1:{ready['http_port']}"

        def stats():
            with urllib.request.urlopen(base + "/stats", timeout=10) as r:
                return json.loads(r.read())

        first_id, expected = 1, 0
        for protocol, port in (("grpc", ready["grpc_port"]), ("http", ready["http_port"])):
            for compression in ("none", "gzip"):
                for signal in ("traces", "metrics", "logs"):
                    cmd = [loadgen, "--protocol", protocol, "--endpoint", f"127.0.0.1:{port}", "--signal", signal,
                           "--rate", "2000", "--items-per-request", "50", "--duration", "0.5",
                           "--compression", compression, "--first-id", str(first_id), "--connections", "2"]
                    if signal == "traces" and compression == "gzip":
                        # The tail sampling scenarios' trace shape: ids still count once each.
                        cmd += ["--spans-per-trace", "3", "--error-every", "7", "--trace-seed", "5"]
                    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
                    what = f"{signal} over {protocol} ({compression})"
                    if r.returncode != 0:
                        failures.append(f"{what}: loadgen exited {r.returncode}: {r.stderr.strip()}")
                        continue
                    lg = json.loads(r.stdout)
                    if lg["acked_items"] == 0 or lg["acked_items"] != lg["items"]:
                        failures.append(f"{what}: acked {lg['acked_items']} of {lg['items']}: {lg['errors']}")
                    expected += lg["acked_items"]
                    first_id = lg["last_id"] + 1
        st = stats()
        if st["unique"] != expected or st["items"] != expected:
            failures.append(f"sink saw {st['items']} items, {st['unique']} distinct ids; loadgen acked {expected}")
        if st["duplicates"] or st["without_id"] or st["invalid_requests"]:
            failures.append(f"sink: duplicates {st['duplicates']}, without id {st['without_id']}, "
                            f"invalid {st['invalid_requests']}")
        if st["latency"]["count"] != expected:
            failures.append(f"sink measured latency for {st['latency']['count']} of {expected} items")
        urllib.request.urlopen(urllib.request.Request(base + "/reset", method="POST", data=b""), timeout=10).read()
        if stats()["items"] != 0:
            failures.append("POST /reset did not clear the counters")
        print(f"sent and counted {expected} items")
        if len(sys.argv) > 3:
            check_wake_floor(sys.argv[3], failures)
    finally:
        sink.terminate()
        sink.wait(10)
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
