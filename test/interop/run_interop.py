#!/usr/bin/env python3
"""Interop test driver: the OpenTelemetry Go SDK -> otlpd -> file exporter.

Builds the Go app in --go-app-dir, starts otlpd (or any collector taking
`--config FILE` and the OpenTelemetry Collector YAML, e.g. a reference otelcol)
with an OTLP receiver on a free port and a `file` exporter, runs the app
against it (the app sends, then checks the file), then stops otlpd with
SIGTERM and checks that it exits 0 within 10 s.

Exit status: 0 passed, 1 failed, 77 skipped (no usable Go toolchain, or the Go
module proxy unreachable) - CTest's SKIP_RETURN_CODE.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

SKIP = 77
START_TIMEOUT_S = 30  # otlpd: until the receiver port accepts connections
STOP_TIMEOUT_S = 10  # otlpd: SIGTERM until exit
APP_WAIT = "30s"  # the app's -timeout: sending, then waiting for the output
APP_TIMEOUT_S = 120  # hard bound on the app process
DOWNLOAD_TIMEOUT_S = 300
BUILD_TIMEOUT_S = 600
TAIL_LINES = 200


class Skip(Exception):
    pass


class Fail(Exception):
    pass


def log(msg):
    print(f"run_interop: {msg}", flush=True)


def find_go(explicit):
    for cand in (explicit, os.environ.get("GO"), shutil.which("go"), "/usr/local/go/bin/go"):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    raise Skip("no `go` toolchain found (PATH, $GO, /usr/local/go/bin/go)")


def version_tuple(v):
    """'go1.26.8' / '1.26' / '1.26rc1' -> (1, 26, 8) / (1, 26, 0) / (1, 26, 0)."""
    m = re.match(r"(?:go)?(\d+)(?:\.(\d+))?(?:\.(\d+))?", v.strip())
    if not m:
        return None
    return tuple(int(x or 0) for x in m.groups())


def required_go(app_dir):
    gomod = Path(app_dir, "go.mod").read_text()
    m = re.search(r"^go\s+(\S+)\s*$", gomod, re.M)
    if not m:
        raise Fail(f"{app_dir}/go.mod has no `go` directive")
    return m.group(1)


def go_env(work_dir):
    env = dict(os.environ)
    # Never fetch a newer toolchain behind our back; a too old go is a skip.
    env["GOTOOLCHAIN"] = "local"
    # go.sum is committed and complete: never edit go.mod/go.sum.
    env["GOFLAGS"] = "-mod=readonly"
    if not env.get("HOME") and not env.get("GOCACHE"):
        env["GOCACHE"] = str(Path(work_dir, "go-cache"))
        env["GOPATH"] = str(Path(work_dir, "go-path"))
    return env


def check_go(go, app_dir, env):
    try:
        out = subprocess.run([go, "env", "GOVERSION"], env=env, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Skip(f"cannot run {go}: {e}")
    have = out.stdout.strip()
    need = required_go(app_dir)
    if out.returncode != 0 or version_tuple(have) is None:
        raise Skip(f"cannot determine the Go version of {go}: {out.stderr.strip()}")
    if version_tuple(have) < version_tuple(need):
        raise Skip(f"{go} is {have}, the Go SDK modules need go >= {need}")
    log(f"using {go} ({have}; go.mod needs {need})")


def build_app(go, app_dir, work_dir, env):
    t0 = time.monotonic()
    try:
        dl = subprocess.run([go, "mod", "download"], cwd=app_dir, env=env, capture_output=True, text=True,
                            timeout=DOWNLOAD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise Skip(f"`go mod download` took more than {DOWNLOAD_TIMEOUT_S}s (module proxy unreachable?)")
    if dl.returncode != 0:
        err = dl.stderr.strip()
        if "checksum mismatch" in err or "SECURITY ERROR" in err:
            raise Fail(f"`go mod download` failed verification:\n{err}")
        raise Skip(f"cannot download the Go modules (module proxy unreachable?):\n{err[-2000:]}")
    exe = Path(work_dir, "goapp")
    try:
        b = subprocess.run([go, "build", "-o", str(exe), "."], cwd=app_dir, env=env, capture_output=True,
                           text=True, timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise Fail(f"`go build` took more than {BUILD_TIMEOUT_S}s")
    if b.returncode != 0:
        raise Fail(f"`go build` failed:\n{b.stdout}{b.stderr}")
    log(f"built {exe} in {time.monotonic() - t0:.1f}s")
    return exe


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path, protocol, port, output):
    transport = "grpc" if protocol == "grpc" else "http"
    path.write_text(f"""receivers:
  otlp:
    protocols:
      {transport}:
        endpoint: 127.0.0.1:{port}
exporters:
  file:
    path: {output}
    flush_interval: 100ms
service:
  pipelines:
    traces:  {{receivers: [otlp], exporters: [file]}}
    metrics: {{receivers: [otlp], exporters: [file]}}
    logs:    {{receivers: [otlp], exporters: [file]}}
""")


def tail(path, n=TAIL_LINES):
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError as e:
        return f"<cannot read {path}: {e}>"
    if len(lines) > n:
        return "\n".join([f"... ({len(lines) - n} earlier lines in {path})"] + lines[-n:])
    return "\n".join(lines)


def wait_listening(proc, port, deadline):
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Fail(f"otlpd exited with status {proc.returncode} before listening on port {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise Fail(f"otlpd did not accept connections on 127.0.0.1:{port} within {START_TIMEOUT_S}s")


def stop(proc):
    """SIGTERM, then the exit status; None if it had to be killed."""
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def run(args):
    work = Path(args.work_dir).resolve()
    app_dir = Path(args.go_app_dir).resolve()
    otlpd = Path(args.otlpd).resolve()
    work.mkdir(parents=True, exist_ok=True)
    if not os.access(otlpd, os.X_OK):
        raise Fail(f"otlpd binary {otlpd} is not executable")

    go = find_go(args.go)
    env = go_env(work)
    check_go(go, app_dir, env)
    app = build_app(go, app_dir, work, env)

    port = free_port()
    output = work / "out.jsonl"
    config = work / "otlpd.yaml"
    otlpd_out, otlpd_err = work / "otlpd.stdout", work / "otlpd.stderr"
    for p in (output, otlpd_out, otlpd_err):
        p.unlink(missing_ok=True)
    write_config(config, args.protocol, port, output)

    log(f"starting {otlpd} --config {config} {' '.join(args.otlpd_arg)} (OTLP/{args.protocol} on 127.0.0.1:{port})")
    with open(otlpd_out, "wb") as so, open(otlpd_err, "wb") as se:
        proc = subprocess.Popen([str(otlpd), "--config", str(config), *args.otlpd_arg], stdout=so, stderr=se,
                                stdin=subprocess.DEVNULL, cwd=work)
    app_rc, app_out = None, ""
    failures = []
    try:
        wait_listening(proc, port, time.monotonic() + START_TIMEOUT_S)
        cmd = [str(app), "-endpoint", f"127.0.0.1:{port}", "-protocol", args.protocol,
               "-compression", args.compression, "-output", str(output), "-timeout", APP_WAIT]
        log("running " + " ".join(cmd))
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=APP_TIMEOUT_S)
            app_rc, app_out = r.returncode, r.stdout
        except subprocess.TimeoutExpired as e:
            app_out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            failures.append(f"the Go app did not finish within {APP_TIMEOUT_S}s")
        print(app_out, end="" if app_out.endswith("\n") else "\n", flush=True)
        if app_rc not in (None, 0):
            failures.append(f"the Go app exited with status {app_rc}")
    except Fail as e:
        failures.append(str(e))
    finally:
        early = proc.poll()
        rc = stop(proc)
    if early is not None:
        failures.append(f"otlpd exited on its own with status {early}, before SIGTERM")
    elif rc is None:
        failures.append(f"otlpd did not exit within {STOP_TIMEOUT_S}s of SIGTERM (killed)")
    elif rc != 0:
        failures.append(f"otlpd exited with status {rc} after SIGTERM (want 0)")
    else:
        log("otlpd exited 0 after SIGTERM")

    if failures:
        for f in failures:
            log("FAIL: " + f)
        print(f"----- otlpd stdout ({otlpd_out}) -----\n{tail(otlpd_out)}")
        print(f"----- otlpd stderr ({otlpd_err}) -----\n{tail(otlpd_err)}")
        print(f"----- otlpd config ({config}) -----\n{config.read_text()}", flush=True)
        return 1
    log(f"PASSED ({args.protocol}, compression {args.compression})")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--otlpd", required=True, help="collector binary (otlpd, or an otelcol for reference)")
    ap.add_argument("--go-app-dir", required=True, help="directory of the Go interop app (its go.mod)")
    ap.add_argument("--work-dir", required=True, help="scratch directory: app binary, config, output, logs")
    ap.add_argument("--protocol", default="grpc", choices=["grpc", "http/protobuf", "http/json"])
    ap.add_argument("--compression", default="none", choices=["none", "gzip"])
    ap.add_argument("--otlpd-arg", action="append", default=[],
                    help="an extra argument for the collector, e.g. --feature-gates=...; repeatable")
    ap.add_argument("--go", help="go binary (default: $GO, PATH, /usr/local/go/bin/go)")
    args = ap.parse_args()
    try:
        return run(args)
    except Skip as e:
        print(f"SKIPPED: {e}", flush=True)
        return SKIP
    except Fail as e:
        log(f"FAIL: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
