#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded number of
# inputs: a smoke run for CI that any crash, sanitizer report or property
# violation fails. Longer runs: the same binaries with -max_total_time.
# usage: run_fuzzers.sh SOURCE_DIR BUILD_DIR WORK_DIR [RUNS]
set -euo pipefail
src=$1 build=$2 work=$3 runs=${4:-100000}
cxx=$(command -v clang++ || command -v clang++-14 || true)
if [ -z "$cxx" ]; then
  echo "SKIPPED: clang++ is not installed (deploy/install-deps.sh installs it)"
  exit 77
fi
mkdir -p "$work"
flags=(-std=c++20 -O1 -g -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$src")

proto=(-isystem "$build/otlp/proto")

# The leaf folders every target draws on go into one archive, whole: the linker
# takes only what a target uses, and a function moving between these folders
# cannot break a target's hand-kept source list.
echo "fuzz: building the shared archive"
# Fresh each run: an object left from a source since removed must not be archived.
rm -rf "$work/obj"
mkdir -p "$work/obj"
common=("$src"/internal/*.cpp "$src"/otlp/value/*.cpp "$src"/otlp/wire/*.cpp "$src"/otlp/json/*.cpp)
printf '%s\n' "${common[@]}" | xargs -P "$(nproc)" -I{} sh -c \
  'f=$1 c=$2; shift 2; exec "$c" "$@" -c "$f" -o "$0/obj/$(echo "$f" | tr / _).o"' "$work" {} "$cxx" "${flags[@]}" "${proto[@]}"
rm -f "$work/libfuzzcommon.a"
ar rcs "$work/libfuzzcommon.a" "$work"/obj/*.o
lib=("$work/libfuzzcommon.a" "$build/otlp/proto/libotlpd_proto.a" -lprotobuf -lsimdjson)

echo "fuzz: building wire_walker_fuzz"
"$cxx" "${flags[@]}" "${proto[@]}" "$src"/test/fuzz/wire_walker_fuzz.cpp "${lib[@]}" -o "$work/wire_walker_fuzz"
echo "fuzz: building otlp_json_fuzz"
"$cxx" "${flags[@]}" "${proto[@]}" "$src"/test/fuzz/otlp_json_fuzz.cpp "${lib[@]}" -o "$work/otlp_json_fuzz"
echo "fuzz: building http_request_fuzz"
"$cxx" "${flags[@]}" "${proto[@]}" "$src"/test/fuzz/http_request_fuzz.cpp \
  "$src"/receivers/otlp/{body_decoder,http_handler}.cpp "${lib[@]}" -lz -lzstd -lsnappy -llz4 -ldeflate -o "$work/http_request_fuzz"
echo "fuzz: building ottl_fuzz"
"$cxx" "${flags[@]}" "${proto[@]}" "$src"/test/fuzz/ottl_fuzz.cpp "$src"/ottl/{compiler,functions,json_parse,parser,time_parse,value}.cpp \
  "${lib[@]}" -lre2 -lcrypto -o "$work/ottl_fuzz"
mkdir -p "$work/corpus-ottl_fuzz"
# Seeds: a few real statements, so mutations start from valid syntax.
printf '\x00set(attributes["a"], Concat([name, "x"], "-")) where IsMatch(name, "^GET")' >"$work/corpus-ottl_fuzz/seed1"
printf '\x01attributes["n"] * 2 > 5 and not (kind == SPAN_KIND_SERVER or trace_id.string == "")' >"$work/corpus-ottl_fuzz/seed2"
printf '\x02merge_maps(attributes, ParseJSON(body), "upsert")' >"$work/corpus-ottl_fuzz/seed3"
printf '\x00replace_pattern(name, "(\\w+)/([0-9]+)", "$1/{id}", SHA256, "h:%%s")' >"$work/corpus-ottl_fuzz/seed4"

echo "fuzz: building config_loader_fuzz"
"$cxx" "${flags[@]}" "$src"/test/fuzz/config_loader_fuzz.cpp "$src"/config/{loader,node}.cpp \
  -lyaml-cpp -o "$work/config_loader_fuzz"
echo "fuzz: building segment_log_fuzz"
"$cxx" "${flags[@]}" "$src"/test/fuzz/segment_log_fuzz.cpp "$src"/extensions/file_storage/segment_log.cpp \
  "$src"/internal/crc32c.cpp -lspdlog -lfmt -o "$work/segment_log_fuzz"

# Inputs per target: the config loader parses YAML twice per input and the
# segment reader writes and opens a queue directory twice, so they get fewer.
run() {
  local f=$1 n=$2
  mkdir -p "$work/corpus-$f"
  echo "fuzz: $f for $n inputs"
  (cd "$work" && ASAN_OPTIONS=detect_leaks=1 "./$f" -runs="$n" -seed=1 -max_len=65536 -rss_limit_mb=1024 "corpus-$f" 2>&1 | tail -5)
}
for f in wire_walker_fuzz otlp_json_fuzz http_request_fuzz; do run "$f" "$runs"; done
run config_loader_fuzz $((runs / 10))
run segment_log_fuzz $((runs / 50))
# OTTL evaluates each input (about 4000/s under the sanitizers): a fifth of the runs.
mkdir -p "$work/corpus-ottl_fuzz"
echo "fuzz: ottl_fuzz for $((runs / 5)) inputs"
(cd "$work" && ASAN_OPTIONS=detect_leaks=1 ./ottl_fuzz -runs="$((runs / 5))" -seed=1 -max_len=4096 -rss_limit_mb=1024 \
  corpus-ottl_fuzz 2>&1 | tail -5)
echo "fuzz: no crash in $runs inputs per target ($((runs / 10)) config loader, $((runs / 50)) segment log, $((runs / 5)) OTTL)"
