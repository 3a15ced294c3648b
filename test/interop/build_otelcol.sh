#!/usr/bin/env bash
# Builds the reference OpenTelemetry Collector of otelcol-builder.yaml in
# DIR (default /tmp/otelcol-build; keep it outside the repository) and prints
# the binary's path. Needs go and the Go module proxy; takes ~2 min (cold).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
manifest=$here/otelcol-builder.yaml
dir=${1:-/tmp/otelcol-build}
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
builder_version=v0.165.0
name=otelcol-interop # dist.name and dist.output_path of the manifest

mkdir -p "$dir"
cd "$dir"
export PATH="$(dirname "$go"):$PATH" GOTOOLCHAIN=local
GOBIN="$dir/bin" "$go" install "go.opentelemetry.io/collector/cmd/builder@$builder_version"

# Sources only: the builder's own `go mod tidy` would fail (see the manifest).
rm -rf "$name"
"$dir/bin/builder" --config "$manifest" --skip-get-modules --skip-compilation
cd "$name"
"$go" mod init "$name"
# shellcheck disable=SC2046 # one module@version per word
"$go" get $(sed -n 's/^ *- gomod: *\([^ ]*\) \(v[^ ]*\).*/\1@\2/p' "$manifest")
"$go" get .
"$go" build -trimpath -o "$name" .
echo "$dir/$name/$name"
