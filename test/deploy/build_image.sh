#!/usr/bin/env bash
# Builds the container image from the Dockerfile for real, with buildah, and
# runs it: an OTLP/HTTP request to the running image must be answered 200 and
# reach its debug exporter. No registry is reachable here, so the Dockerfile's
# base images (debian:12 and debian:12-slim) are made with debootstrap from
# Debian's mirror and tagged under those names first.
#
#   test/deploy/build_image.sh [WORKDIR]      (root; WORKDIR default build/image)
#
# Takes a while: the build stage compiles otlpd (Release) inside the image.
# Exit 0 when the image ran and accepted OTLP, 1 on a failure (the failing
# step is printed), 77 when buildah or debootstrap cannot be installed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$root/build/image}
mkdir -p "$work"
log() { echo "build_image: $*"; }
step() {  # step NAME COMMAND...: runs it, stops the script with the step's name on failure
  local name=$1
  shift
  log "$name"
  if ! "$@"; then
    log "FAILED at step: $name (command: $*)"
    exit 1
  fi
}

if ! command -v buildah > /dev/null || ! command -v debootstrap > /dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y buildah debootstrap > "$work/apt.log" 2>&1 || true
  fi
fi
if ! command -v buildah > /dev/null || ! command -v debootstrap > /dev/null; then
  log "SKIPPED: buildah or debootstrap is not installed (Debian: apt-get install buildah debootstrap)"
  exit 77
fi
# vfs needs no kernel overlay support; chroot isolation needs no user namespaces.
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}

# 1. The base images, once: a minbase bookworm root file system.
if ! buildah images --format '{{.Name}}:{{.Tag}}' | grep -qx 'docker.io/library/debian:12'; then
  if [ ! -f "$work/rootfs/.complete" ]; then
    rm -rf "$work/rootfs"
    step "debootstrap bookworm from $mirror" debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror"
    touch "$work/rootfs/.complete"
  fi
  step "pack the root file system" tar -C "$work/rootfs" --exclude=./.complete -cf "$work/rootfs.tar" .
  ctr=$(buildah from scratch) || { log "FAILED at step: buildah from scratch"; exit 1; }
  step "add the root file system to a scratch container" buildah add "$ctr" "$work/rootfs.tar" /
  step "commit it as debian:12" buildah commit --rm "$ctr" docker.io/library/debian:12
  step "tag it debian:12-slim" buildah tag docker.io/library/debian:12 docker.io/library/debian:12-slim
fi

# 2. The image, from the repository's Dockerfile.
step "buildah bud (the Dockerfile: compile stage, runtime stage)" \
  buildah bud --pull=never --layers -t localhost/otlpd:test -f "$root/Dockerfile" "$root"

# 3. Run it (chroot isolation shares this host's network) and send it spans.
port=$((20000 + RANDOM % 20000))
cat > "$work/run.yaml" << YAML
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:$port
exporters:
  debug:
    verbosity: detailed
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
YAML
ctr=$(buildah from localhost/otlpd:test) || { log "FAILED at step: buildah from localhost/otlpd:test"; exit 1; }
trap 'buildah rm "$ctr" > /dev/null 2>&1 || true' EXIT
step "copy a test config into the container" buildah copy "$ctr" "$work/run.yaml" /tmp/run.yaml
buildah run "$ctr" -- /usr/bin/otlpd --config /tmp/run.yaml > "$work/run.log" 2>&1 &
runner=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/run.log" 2> /dev/null && break
  sleep 0.1
done
body='{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"image-test"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"from-the-image","kind":1,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000"}]}]}]}'
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data "$body" "http://127.0.0.1:$port/v1/traces")
# The debug exporter prints the span once the batch processor flushes it.
for _ in $(seq 100); do
  grep -q "from-the-image" "$work/run.log" 2> /dev/null && break
  sleep 0.1
done
kill -TERM "$runner" 2> /dev/null
pkill -TERM -f "otlpd --config /tmp/run.yaml" 2> /dev/null
wait "$runner" 2> /dev/null
if [ "$code" != 200 ]; then
  log "FAILED at step: POST /v1/traces to the running image answered '$code'"
  cat "$work/run.log"
  exit 1
fi
if ! grep -q "from-the-image" "$work/run.log"; then
  log "FAILED at step: the span did not reach the image's debug exporter"
  cat "$work/run.log"
  exit 1
fi
log "ok: the image built from the Dockerfile ran otlpd, answered 200 and printed the span"
buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' | grep otlpd
exit 0
