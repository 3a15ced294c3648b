// The file_storage segment log's hot paths: Append of 1 KiB and 40 KiB records
// with fsync off and on (on: 1 and 4 appending threads, where concurrent appends
// share one fdatasync), reading a backlog back, and the record checksum
// (CRC-32C in hardware and portable, against zlib's crc32).
// The log lives under $TMPDIR (default /tmp): point it at the disk to measure.
//   ./bench_segment_log --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "extensions/file_storage/segment_log.h"
#include "internal/crc32c.h"

namespace {

namespace fs = std::filesystem;
using otlpd::Crc32c;
using otlpd::Crc32cPortable;
using otlpd::extensions::file_storage::SegmentLog;
using otlpd::extensions::file_storage::SegmentLogOptions;

std::string Payload(std::size_t size) {
  std::string s(size, '\0');
  std::uint64_t x = 88172645463325252ull;
  for (auto& c : s) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  return s;
}

fs::path BenchDir() {
  return fs::temp_directory_path() / ("otlpd_segment_log_bench_" + std::to_string(::getpid()));
}

// Shared by the threads of one run: created in Setup, removed in Teardown.
std::unique_ptr<SegmentLog> g_log;

void OpenLog(const benchmark::State& state) {
  fs::remove_all(BenchDir());
  fs::create_directories(BenchDir());
  SegmentLogOptions o;
  o.fsync = state.range(1) != 0;
  auto r = SegmentLog::Open(BenchDir() / "q", o);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().message().c_str());
    std::abort();
  }
  g_log = std::move(r).value();
}

void CloseLog(const benchmark::State&) {
  g_log.reset();
  fs::remove_all(BenchDir());
}

// Args: record bytes, fsync.
void BM_Append(benchmark::State& state) {
  const std::string payload = Payload(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto id = g_log->Append(payload);
    if (!id.ok()) {
      state.SkipWithError(id.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(id);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Append)
    ->Setup(OpenLog)
    ->Teardown(CloseLog)
    ->ArgNames({"bytes", "fsync"})
    ->Args({1024, 0})
    ->Args({40960, 0})
    ->UseRealTime()
    ->Threads(1);
BENCHMARK(BM_Append)
    ->Setup(OpenLog)
    ->Teardown(CloseLog)
    ->ArgNames({"bytes", "fsync"})
    ->Args({1024, 1})
    ->Args({40960, 1})
    ->UseRealTime()
    ->Threads(1)
    ->Threads(4);

// A queue in steady state: each record is removed right after it was appended,
// so segments are deleted as they fill. Args: record bytes, fsync.
void BM_AppendRemove(benchmark::State& state) {
  const std::string payload = Payload(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto id = g_log->Append(payload);
    if (!id.ok() || !g_log->Remove(*id).ok()) {
      state.SkipWithError("append or remove failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AppendRemove)
    ->Setup(OpenLog)
    ->Teardown(CloseLog)
    ->ArgNames({"bytes", "fsync"})
    ->Args({1024, 0})
    ->Args({40960, 0})
    ->UseRealTime()
    ->Threads(1);

// Reading a backlog of 64 MiB back (from the page cache): open, then NextBacklog
// to the end, CRCs checked. Args: record bytes.
void BM_ReadBacklog(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::size_t count = (std::size_t{64} << 20) / size;
  fs::remove_all(BenchDir());
  fs::create_directories(BenchDir());
  {
    auto log = SegmentLog::Open(BenchDir() / "q", SegmentLogOptions{});
    const std::string payload = Payload(size);
    for (std::size_t i = 0; i < count; ++i) (void)(*log)->Append(payload);
  }
  std::uint64_t id = 0;
  std::string record;
  for (auto _ : state) {
    auto log = SegmentLog::Open(BenchDir() / "q", SegmentLogOptions{});
    std::size_t n = 0;
    while ((*log)->NextBacklog(id, record)) ++n;
    if (n != count) state.SkipWithError("backlog incomplete");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(count * size));
  fs::remove_all(BenchDir());
}
BENCHMARK(BM_ReadBacklog)->ArgName("bytes")->Arg(1024)->Arg(40960)->Unit(benchmark::kMillisecond);

template <int kWhich>
void BM_Checksum(benchmark::State& state) {
  const std::string data = Payload(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    std::uint32_t c = 0;
    if constexpr (kWhich == 0) c = Crc32c(data);
    if constexpr (kWhich == 1) c = Crc32cPortable(data.data(), data.size());
    if constexpr (kWhich == 2) {
      c = static_cast<std::uint32_t>(
          crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    }
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Checksum<0>)->Name("BM_Crc32c")->Arg(1024)->Arg(40960);
BENCHMARK(BM_Checksum<1>)->Name("BM_Crc32cPortable")->Arg(1024)->Arg(40960);
BENCHMARK(BM_Checksum<2>)->Name("BM_ZlibCrc32")->Arg(1024)->Arg(40960);

}  // namespace

BENCHMARK_MAIN();
