"""The reference otelcol the differential tests of this directory compare
otlpd with: core v0.165.0 and the contrib components of
test/bench/otelcol-builder.yaml, built by test/bench/build_otelcol.sh into
<work_dir>/otelcol (slow once, then reused: the script keys the binary on the
manifest's hash)."""
import os
import shutil
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def find_go():
    for candidate in (os.environ.get("GO"), shutil.which("go"), "/usr/local/go/bin/go"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def reference_otelcol(explicit, work_dir):
    """The otelcol binary to compare with: `explicit` when given, else the one
    build_otelcol.sh builds (or finds built) under work_dir. None when it
    cannot be had (no Go toolchain, or the Go module proxy unreachable), after
    printing why as a SKIPPED line: the caller then exits 77, never passes."""
    if explicit:
        return explicit
    go = find_go()
    if not go:
        print("SKIPPED: no Go toolchain to build the reference otelcol")
        return None
    build = subprocess.run(["bash", os.path.join(REPO, "test/bench/build_otelcol.sh"),
                            os.path.join(work_dir, "otelcol")],
                           env=dict(os.environ, GO=go), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if build.returncode != 0:
        print(build.stderr.decode("utf-8", "replace")[-3000:])
        print("SKIPPED: the reference otelcol could not be built (Go module proxy unreachable?)")
        return None
    return build.stdout.decode().strip().splitlines()[-1]
