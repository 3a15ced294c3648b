#!/usr/bin/env bash
# Builds the reference OpenTelemetry Collector of MANIFEST (default
# otelcol-builder.yaml beside this script) into DIR (default build/bench/otelcol
# of the repository; never committed) and prints the binary's path. Reuses a
# binary built from the same manifest. The builder's release is the manifest's
# dist.version, its name dist.name. Needs go and the Go module proxy; ~2-5 min
# cold.
# Usage: build_otelcol.sh [DIR [MANIFEST]]
# The approach is test/interop/build_otelcol.sh's (see the manifest for why).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/../../build/bench/otelcol}
manifest=$(cd "$(dirname "${2:-$here/otelcol-builder.yaml}")" && pwd)/$(basename "${2:-otelcol-builder.yaml}")
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
builder_version=v$(sed -n 's/^  version: *\([0-9.]*\).*/\1/p' "$manifest" | head -1)
name=$(sed -n 's/^  name: *\([^ ]*\).*/\1/p' "$manifest" | head -1) # dist.name = dist.output_path

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# Tests run in parallel (config_diff and print_config_diff) may ask for the
# same build at once: the second waits for the first and then reuses it.
exec 9>"$dir/.build.lock"
flock 9
stamp=$(sha256sum "$manifest" | cut -d' ' -f1)
if [ -x "$dir/$name/$name" ] && [ "$(cat "$dir/manifest.sha256" 2>/dev/null)" = "$stamp" ]; then
  echo "$dir/$name/$name"
  exit 0
fi
cd "$dir"
export PATH="$(dirname "$go"):$PATH" GOTOOLCHAIN=local
GOBIN="$dir/bin" "$go" install "go.opentelemetry.io/collector/cmd/builder@$builder_version" >&2

rm -rf "$name" manifest.sha256
"$dir/bin/builder" --config "$manifest" --skip-get-modules --skip-compilation >&2
cd "$name"
"$go" mod init "$name" >&2
# shellcheck disable=SC2046 # one module@version per word
# otelcol itself at the builder's release: `go get .` alone would take the newest
# otelcol the proxy serves, mixing releases.
"$go" get $(sed -n 's/^ *- gomod: *\([^ ]*\) \(v[^ ]*\).*/\1@\2/p' "$manifest") \
  "go.opentelemetry.io/collector/otelcol@$builder_version" >&2
"$go" get . >&2
"$go" build -trimpath -o "$name" . >&2
echo "$stamp" >"$dir/manifest.sha256"
echo "$dir/$name/$name"
