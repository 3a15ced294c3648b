#!/usr/bin/env bash
# Checks the Dockerfile without a container engine:
#  - every shared library `ldd` reports for the built otlpd belongs to a Debian
#    package that the runtime stage's apt-get line installs (or to the few every
#    Debian image has), mapping libraries to packages with `dpkg -S`;
#  - the runtime stage runs as a non-root USER, EXPOSEs 4317 4318 13133 8888,
#    has a HEALTHCHECK, ENTRYPOINT /usr/bin/otlpd and the default config;
#  - that default config is valid and serves health_check on 0.0.0.0:13133.
# usage: check_dockerfile.sh OTLPD_BINARY REPO_ROOT [STATIC_IN_IMAGE_REGEX]
# The image links its dependencies with OTLPD_STATIC_DEPS. A dynamically linked
# build (the test suite's) passes the sonames that option links from archives
# (STATIC_IN_IMAGE_REGEX); the check then covers the rest, which are exactly the
# libraries the image's binary still loads.
# Exit 0 passed, 1 failed, 77 skipped (no ldd/dpkg: not a Debian host).
set -uo pipefail

otlpd=$1
root=$2
static_in_image=${3:-}
dockerfile=$root/Dockerfile
config=$root/deploy/otlpd.yaml
failures=0
checks=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
pass() {
  echo "ok: $*"
}
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  checks=$((checks + 1))
  if "$@"; then pass "$what"; else fail "$what"; fi
}

if ! command -v ldd >/dev/null || ! command -v dpkg >/dev/null; then
  echo "SKIPPED: needs ldd and dpkg (a Debian host)"
  exit 77
fi
[ -x "$otlpd" ] || { echo "FAIL: no otlpd binary at $otlpd"; exit 1; }

# The runtime stage: everything after the last FROM, continuation lines joined.
runtime=$(awk '/^FROM /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$dockerfile" |
  sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta')

# Package names after `apt-get install` up to the next && (options skipped).
listed=$(grep -o 'apt-get install[^&]*' <<<"$runtime" | sed 's/apt-get install//' |
  tr ' ' '\n' | grep -v '^-' | grep -v '^$' | sort -u)
# Priority "required" in Debian: present in every image, debian:12-slim included.
baseline="libc6 libgcc-s1"

# dpkg knows a file by the path its package installed; with merged /usr the
# loader may report /lib/... for /usr/lib/... and a symlink for its target.
# One dpkg -S for every candidate path of every library (it is slow per call).
candidates_of() {
  local lib=$1 real c
  real=$(readlink -f "$lib")
  for c in "$lib" "$real" "$(dirname "$real")/$(basename "$lib")"; do
    echo "$c"
    echo "${c#/usr}"
    echo "/usr${c}"
  done | sort -u
}
libs=$(ldd "$otlpd" | awk '$2 == "=>" && $3 ~ /^\// {print $3}')
if [ -n "$static_in_image" ]; then
  static=$(grep -E "/($static_in_image)[^/]*$" <<<"$libs" || true)
  libs=$(grep -vE "/($static_in_image)[^/]*$" <<<"$libs" || true)
  echo "note: $(grep -c . <<<"$static" || true) libraries this build loads are linked from archives in the image (OTLPD_STATIC_DEPS)"
  check "build stage links its dependencies statically" grep -q -- '-DOTLPD_STATIC_DEPS=ON' "$dockerfile"
fi
declare -A owner
while IFS= read -r line; do
  pkgs=${line%%: /*}
  path=${line#*: }
  owner[$path]=$(echo "${pkgs%%,*}" | sed 's/:amd64$//')
done < <(for lib in $libs; do candidates_of "$lib"; done | sort -u | xargs dpkg -S 2>/dev/null)
package_of() {
  local c
  for c in $(candidates_of "$1"); do
    if [ -n "${owner[$c]:-}" ]; then
      echo "${owner[$c]}"
      return 0
    fi
  done
  return 1
}

needed=""
while read -r lib; do
  checks=$((checks + 1))
  if ! pkg=$(package_of "$lib"); then
    fail "$lib: no Debian package owns it (built against something installed by hand?)"
    continue
  fi
  needed="$needed $pkg"
  if grep -qx "$pkg" <<<"$listed" || [[ " $baseline " == *" $pkg "* ]]; then
    pass "$(basename "$lib") <- $pkg"
  else
    fail "$(basename "$lib") needs package $pkg, which the runtime stage does not install"
  fi
done <<<"$libs"

# Listed but not needed: only a note, as a library may come and go with a
# component that is being added.
for pkg in $listed; do
  [ "$pkg" = ca-certificates ] && continue
  [[ " $needed " == *" $pkg "* ]] || echo "note: runtime stage installs $pkg, which otlpd does not link now"
done

user=$(grep -E '^USER ' <<<"$runtime" | tail -n1 | awk '{print $2}')
uid=${user%%:*}
check "runtime stage sets a non-root USER ($user)" test -n "$uid" -a "$uid" != root -a "$uid" != 0
for port in 4317 4318 13133 8888; do
  check "EXPOSE $port" grep -qE "^EXPOSE .*\b$port\b" <<<"$runtime"
done
check "HEALTHCHECK asks port 13133" grep -qE '^HEALTHCHECK .*13133' <<<"$runtime"
check 'ENTRYPOINT ["/usr/bin/otlpd"]' grep -qF 'ENTRYPOINT ["/usr/bin/otlpd"]' <<<"$runtime"
check 'CMD ["--config", "/etc/otlpd/config.yaml"]' grep -qF 'CMD ["--config", "/etc/otlpd/config.yaml"]' <<<"$runtime"
check "default config copied to /etc/otlpd/config.yaml" \
  grep -qE '^COPY +deploy/otlpd.yaml +/etc/otlpd/config.yaml' <<<"$runtime"
check "runtime stage is debian:12-slim" grep -qE '^FROM debian:12-slim' <<<"$runtime"
check "build stage builds Release without tests" \
  grep -qE -- '-DCMAKE_BUILD_TYPE=Release.*-DOTLPD_BUILD_TESTS=OFF' "$dockerfile"
check "build stage installs deps with deploy/install-deps.sh" grep -q 'deploy/install-deps.sh' "$dockerfile"
check ".dockerignore leaves build trees out" grep -qE '^build' "$root/.dockerignore"

# The image's config: valid, health_check on every interface and enabled.
check "otlpd validate deploy/otlpd.yaml" "$otlpd" validate --config "$config"
check "health_check endpoint 0.0.0.0:13133" grep -qE '^\s+endpoint: 0\.0\.0\.0:13133\s*$' "$config"
check "health_check listed in service.extensions" grep -qE '^\s+extensions: \[.*health_check.*\]' "$config"
for port in 4317 4318; do
  check "OTLP receiver on 0.0.0.0:$port" grep -qE "^\s+endpoint: 0\.0\.0\.0:$port\s*$" "$config"
done

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
