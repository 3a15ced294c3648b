#!/usr/bin/env bash
# Builds a Go differential harness (modules from the Go module proxy) into
# OUT_DIR and runs the C++ side of the test against it. Exit 77 (CTest:
# skipped) without a Go toolchain new enough for go.mod, or without the proxy.
# One script for every *_otelcol_diff test.
#
# Usage: run_go_diff.sh GO_SRC_DIR BINARY_NAME OUT_DIR TEST_EXE [ARGS...]
set -u
src=$1
name=$2
out=$3
test_exe=$4
shift 4
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
(cd "$src" && "$go" build -o "$out/$name" .) || exit 1
exec "$test_exe" "$out/$name" "$out/cases" "$@"
