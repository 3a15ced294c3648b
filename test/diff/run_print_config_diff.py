#!/usr/bin/env python3
"""Differential test of `print-config`: otlpd's and the reference otelcol's
(built by test/bench/build_otelcol.sh, cached under --work-dir) output for the
same configs, merged from two --config files, a --set and ${env:...}.

The two outputs cannot be equal as text: each collector prints the options it
has, and otelcol prints some in its own form (headers as a list of
{name, value}, JSON durations in nanoseconds). So this compares what both
print, leaf by leaf:

- every value the configs set (after merging, --set and env expansion) is
  printed by both, with the same value;
- every option both print has the same value in both (so a default otlpd fills
  in is otelcol's default), except the few documented in KNOWN_VALUE_FORMS;
- secrets: in redacted mode (the default) the secret appears in neither output
  and its place holds "[REDACTED]" in both; --mode unredacted shows it in both;
- defaults otelcol fills in that otlpd honours too (DEFAULTS: service.telemetry's
  log output and Prometheus reader, health_check's server timeouts) are printed
  by both, with the same value;
- the YAML text is laid out alike: the blocks in SAME_TEXT (lists included)
  are the same lines in both outputs, indentation and quoting included;
- --format json prints the same keys as YAML, in both;
- an invalid config, an unknown --mode and an unknown --format fail in both.

Exit 0 when all hold, 1 otherwise, 77 (skipped) without Go or when the
reference collector cannot be built.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

from reference_otelcol import reference_otelcol

try:
    import yaml
except ImportError:  # python3-yaml
    print("SKIPPED: no PyYAML to read the outputs")
    sys.exit(77)

SECRET = "s3cret-token-value"

BASE = """
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
      http:
processors:
  batch:
  memory_limiter:
    check_interval: 1s
    limit_mib: 512
exporters:
  otlp:
    endpoint: backend:4317
    headers:
      Authorization: "Bearer ${env:PRINT_DIFF_TOKEN}"
    tls:
      insecure: true
  debug:
extensions:
  health_check:
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [otlp, debug]
"""

OVERLAY = """
extensions:
  health_check:
    response_headers:
      X-Served-By: otlpd
    keepalive:
      idle_timeout: 30s
    check_collector_pipeline:
      interval: 5m
exporters:
  otlphttp:
    endpoint: http://backend:4318
    compression: zstd
  file:
    path: /tmp/print-config-diff.json
processors:
  batch:
    send_batch_size: 1000
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp, file]
"""

SET = "exporters.otlp.timeout=7s"

# What the configs above set, after merging, --set and env expansion (the
# secret redacted): both collectors must print each with this value.
GIVEN = {
    "receivers.otlp.protocols.grpc.endpoint": "0.0.0.0:4317",
    "processors.batch.send_batch_size": 1000,
    "processors.memory_limiter.check_interval": "1s",
    "processors.memory_limiter.limit_mib": 512,
    "exporters.otlp.endpoint": "backend:4317",
    "exporters.otlp.headers.Authorization": "[REDACTED]",
    "exporters.otlp.tls.insecure": True,
    "exporters.otlp.timeout": "7s",
    "exporters.otlphttp.endpoint": "http://backend:4318",
    "exporters.otlphttp.compression": "zstd",
    "exporters.file.path": "/tmp/print-config-diff.json",
    "service.extensions[0]": "health_check",
    "service.pipelines.traces.processors[0]": "memory_limiter",
    "service.pipelines.traces.processors[1]": "batch",
    "service.pipelines.logs.exporters[1]": "file",
    "extensions.health_check.response_headers.X-Served-By": "[REDACTED]",
    "extensions.health_check.keepalive.idle_timeout": "30s",
    "extensions.health_check.check_collector_pipeline.interval": "5m",
}

# Defaults the configs leave out, which both print with this value.
DEFAULTS = {
    "service.telemetry.logs.output_paths[0]": "stderr",
    "service.telemetry.logs.encoding": "console",
    "service.telemetry.logs.level": "info",
    "service.telemetry.metrics.readers[0].pull.exporter.prometheus.host": "localhost",
    "service.telemetry.metrics.readers[0].pull.exporter.prometheus.port": 8888,
    "service.telemetry.metrics.readers[0].pull.exporter.prometheus.without_units": True,
    "service.telemetry.metrics.readers[0].pull.exporter.prometheus.without_type_suffix": True,
    "extensions.health_check.endpoint": "localhost:13133",
    "extensions.health_check.transport": "tcp",
    "extensions.health_check.read_header_timeout": "1m0s",
    "extensions.health_check.write_timeout": "30s",
    "receivers.otlp.protocols.http.keepalive.idle_timeout": "1m0s",
    "receivers.otlp.protocols.http.transport": "tcp",
}

# Blocks of the YAML output (top-level key, then nested keys) that both must
# print as the same lines: list layout, indentation and scalar quoting.
SAME_TEXT = [
    ("service", "pipelines"),
    ("service", "extensions"),
    ("extensions", "health_check", "check_collector_pipeline"),
    ("exporters", "otlp", "retry_on_failure"),
    ("service", "telemetry", "metrics", "readers"),
]


def text_block(text, keys):
    """The lines of the block at `keys` in go-yaml's layout (indent 4): the
    key's own line and every deeper line after it."""
    lines = text.splitlines()
    start, indent = 0, 0
    for depth, key in enumerate(keys):
        want = " " * (4 * depth) + key + ":"
        for i in range(start, len(lines)):
            if lines[i] == want or lines[i].startswith(want + " "):
                start, indent = i, 4 * depth
                break
        else:
            return None
    out = [lines[start]]
    for line in lines[start + 1:]:
        if len(line) - len(line.lstrip(" ")) <= indent:
            break
        out.append(line)
    return out

# Options both print with different values, each for a documented reason:
# path (or, with a leading '.', any path ending so) -> reason.
KNOWN_VALUE_FORMS = {
    "service.telemetry.metrics.level": "otelcol prints its level type's String() (Normal); the config says normal",
    ".sending_queue.sizer": "otelcol's sizer type has no exported fields and prints as {}; otlpd prints its name",
    "receivers.otlp.protocols.http.read_header_timeout":
        "otlpd bounds slow clients by default (10s; README, Limits and timeouts); otelcol's OTLP receiver has none",
    "receivers.otlp.protocols.http.write_timeout":
        "otlpd bounds slow readers by default (30s; README, Limits and timeouts); otelcol's OTLP receiver has none",
}


def known_form(path):
    return path in KNOWN_VALUE_FORMS or any(k.startswith(".") and path.endswith(k) for k in KNOWN_VALUE_FORMS)


def flatten(value, prefix="", out=None):
    """Leaf paths: maps joined with '.', lists as [i]. otelcol's opaque
    header list [{name, value}] is read as the map it came from."""
    if out is None:
        out = {}
    if isinstance(value, list) and value and all(isinstance(v, dict) and set(v) == {"name", "value"}
                                                 for v in value):
        value = {v["name"]: v["value"] for v in value}
    if isinstance(value, dict):
        if not value:
            out[prefix] = {}
        for k, v in value.items():
            flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list):
        if not value:
            out[prefix] = []
        for i, v in enumerate(value):
            flatten(v, f"{prefix}[{i}]", out)
    else:
        out[prefix] = value
    return out


def run(cmd, env):
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--otlpd", required=True)
    ap.add_argument("--work-dir", required=True)
    ap.add_argument("--otelcol", help="a reference otelcol binary (default: build it)")
    ap.add_argument("-v", action="store_true", help="list the options only one of them prints")
    args = ap.parse_args()

    os.makedirs(args.work_dir, exist_ok=True)
    otelcol = reference_otelcol(args.otelcol, args.work_dir)
    if not otelcol:
        return 77

    scratch = tempfile.mkdtemp(prefix="print_config_diff_", dir=args.work_dir)
    base, overlay = os.path.join(scratch, "base.yaml"), os.path.join(scratch, "overlay.yaml")
    with open(base, "w") as f:
        f.write(BASE)
    with open(overlay, "w") as f:
        f.write(OVERLAY)
    env = dict(os.environ, PRINT_DIFF_TOKEN=SECRET)
    config_flags = ["--config", base, "--config", overlay, "--set", SET]
    tools = {"otlpd": args.otlpd, "otelcol": otelcol}
    failures = []

    def fail(msg):
        failures.append(msg)
        print("FAIL: " + msg)

    outputs = {}
    for name, binary in tools.items():
        for mode in ("redacted", "unredacted"):
            for fmt in ("yaml", "json"):
                cmd = [binary, "print-config", "--mode", mode, "--format", fmt] + config_flags
                rc, out, err = run(cmd, env)
                if rc != 0:
                    fail(f"{name} print-config --mode {mode} --format {fmt}: exit {rc}: {err[-600:]}")
                    continue
                try:
                    doc = yaml.safe_load(out) if fmt == "yaml" else json.loads(out)
                except Exception as e:  # noqa: BLE001 - report any parse failure
                    fail(f"{name} --format {fmt}: output does not parse: {e}")
                    continue
                outputs[(name, mode, fmt)] = (out, flatten(doc))
    if failures:
        return 1

    # The values the configs set, in both.
    for name in tools:
        flat = outputs[(name, "redacted", "yaml")][1]
        for path, want in GIVEN.items():
            if flat.get(path, "<absent>") != want:
                fail(f"{name}: {path} is {flat.get(path, '<absent>')!r}, expected {want!r}")

    # Defaults both fill in.
    for name in tools:
        flat = outputs[(name, "redacted", "yaml")][1]
        for path, want in DEFAULTS.items():
            if flat.get(path, "<absent>") != want:
                fail(f"{name}: default {path} is {flat.get(path, '<absent>')!r}, expected {want!r}")

    # The same text for the blocks both print alike.
    for keys in SAME_TEXT:
        ours_text = text_block(outputs[("otlpd", "redacted", "yaml")][0], keys)
        theirs_text = text_block(outputs[("otelcol", "redacted", "yaml")][0], keys)
        if ours_text is None or ours_text != theirs_text:
            fail(f"{'.'.join(keys)}: the YAML text differs:\n  otlpd:   {ours_text}\n  otelcol: {theirs_text}")

    # Every option both print: the same value.
    ours, theirs = outputs[("otlpd", "redacted", "yaml")][1], outputs[("otelcol", "redacted", "yaml")][1]
    common = sorted(set(ours) & set(theirs))
    for path in common:
        if ours[path] != theirs[path] and not known_form(path):
            fail(f"{path}: otlpd prints {ours[path]!r}, otelcol {theirs[path]!r}")
    only_ours = sorted(set(ours) - set(theirs))
    only_theirs = sorted(set(theirs) - set(ours))
    print(f"{len(common)} options printed by both, {len(only_ours)} only by otlpd, "
          f"{len(only_theirs)} only by otelcol")
    if args.v:
        for p in only_ours:
            print(f"  only otlpd:   {p} = {ours[p]!r}")
        for p in only_theirs:
            print(f"  only otelcol: {p} = {theirs[p]!r}")
    if len(common) < 40:
        fail(f"only {len(common)} options printed by both: defaults are not filled in")

    # Secrets.
    for name in tools:
        for fmt in ("yaml", "json"):
            redacted, unredacted = outputs[(name, "redacted", fmt)][0], outputs[(name, "unredacted", fmt)][0]
            if SECRET in redacted:
                fail(f"{name} --format {fmt}: the secret is printed in redacted mode")
            if "[REDACTED]" not in redacted:
                fail(f"{name} --format {fmt}: no [REDACTED] in redacted mode")
            if SECRET not in unredacted:
                fail(f"{name} --format {fmt}: --mode unredacted does not show the secret")
        got = outputs[(name, "unredacted", "yaml")][1].get("exporters.otlp.headers.Authorization")
        if got != "Bearer " + SECRET:
            fail(f"{name}: unredacted exporters.otlp.headers.Authorization is {got!r}")

    # JSON has the keys YAML has.
    for name in tools:
        for mode in ("redacted", "unredacted"):
            y, j = set(outputs[(name, mode, "yaml")][1]), set(outputs[(name, mode, "json")][1])
            if y != j:
                fail(f"{name} --mode {mode}: JSON and YAML keys differ: {sorted(y ^ j)[:10]}")

    # Refusals.
    bad = os.path.join(scratch, "bad.yaml")
    with open(bad, "w") as f:
        f.write("processors:\n  batch:\n    timeout: soon\n")
    for name, binary in tools.items():
        for extra, what in ((["--config", base, "--config", bad], "an invalid config"),
                            (config_flags + ["--mode", "bogus"], "--mode bogus"),
                            (config_flags + ["--format", "xml"], "--format xml")):
            rc, out, _ = run([binary, "print-config"] + extra, env)
            if rc == 0:
                fail(f"{name} print-config accepts {what}")
            if SECRET in out:
                fail(f"{name} print-config prints the secret on {what}")

    shutil.rmtree(scratch, ignore_errors=True)
    print("print-config: otlpd and otelcol agree" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
