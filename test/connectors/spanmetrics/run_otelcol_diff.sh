#!/usr/bin/env bash
# Builds otelcol_diff/ (otelcol-contrib's spanmetrics connector at v0.161.0,
# modules from the Go module proxy) into OUT_DIR and runs the differential
# test against it. Exit 77 (CTest: skipped) without a Go toolchain new enough
# for go.mod, or without the module proxy.
#
# Usage: run_otelcol_diff.sh OUT_DIR TEST_EXE [CASES] [SEED]
set -u
src=$(cd "$(dirname "$0")" && pwd)/otelcol_diff
out=$1
test_exe=$2
shift 2
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
if [ ! -x "$go" ]; then
  echo "SKIPPED: no Go toolchain"
  exit 77
fi
export GOTOOLCHAIN=local
mkdir -p "$out"
if ! (cd "$src" && "$go" mod download) >"$out/download.log" 2>&1; then
  echo "SKIPPED: cannot fetch the Go modules (proxy unreachable or Go too old):"
  cat "$out/download.log"
  exit 77
fi
(cd "$src" && "$go" build -o "$out/spanmetrics_diff" .) || exit 1
exec "$test_exe" "$out/spanmetrics_diff" "$out/cases" "$@"
