#!/usr/bin/env bash
# Installs everything otlpd needs to build and test on Debian 12. Idempotent: it
# asks apt only for what is missing, so a second run costs a second or two.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libgrpc++-dev libc-ares-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libboost-dev libboost-system-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libconcurrentqueue-dev catch2 zlib1g-dev libzstd-dev libsnappy-dev libdeflate-dev
  libssl-dev libnghttp2-dev libre2-dev liblz4-dev openssl libsimdjson-dev libbenchmark-dev clang-format clang libclang-rt-14-dev zstd curl ca-certificates python3 python3-yaml python3-pip
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
