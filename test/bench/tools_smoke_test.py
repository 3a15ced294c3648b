#!/usr/bin/env python3
"""Smoke test of the benchmark tools (no collector, no timing asserted):
bench_loadgen sends each signal over gRPC and OTLP/HTTP (plain and gzip)
straight to bench_sink, which must count every item once, with its id and a
latency, and clear its counters on POST /reset.

    tools_smoke_test.py BENCH_LOADGEN BENCH_SINK
"""

import json
import subprocess
import sys
import urllib.request


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
    finally:
        sink.terminate()
        sink.wait(10)
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
