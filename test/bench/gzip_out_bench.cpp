// The ways an exporter can make a batch's gzip (config/compression/gzip_sender.h)
// on the bench's requests: 20 requests a batch, each gzipped by its sender as
// gRPC C++ does (zlib, default level), for each signal and request size.
//
//   build-bench/test/bench/bench_gzip_out
//
// Per benchmark: the CPU per batch, and as counters the batch's uncompressed
// size and the gzip size each way makes (bytes), and s_per_item (shown as
// u: microseconds per item, i.e. CPU seconds per million items).
#include <benchmark/benchmark.h>
#include <libdeflate.h>

#include <string>

#include "config/compression/compressor.h"
#include "config/compression/gzip_members.h"
#include "test/bench/request_builder.h"
#include "test/support/gzip.h"

using namespace otlpd;
using namespace otlpd::config::compression;

namespace {

constexpr int kRequests = 20;

struct Batch {
  std::string bytes, gzip;
  std::uint64_t items = 0;
};

Batch MakeBatch(Signal signal, std::uint32_t items) {
  const auto t = bench::RequestTemplate::Build(signal, items);
  Batch b;
  for (int i = 0; i < kRequests; ++i) {
    const std::string r = t.Instantiate(std::uint64_t{t.items()} * i, 1'000'000'000ull * i);
    b.bytes += r;
    AppendMember(b.gzip, test::ZlibGzip(r));
    b.items += t.items();
  }
  return b;
}

void Sizes(benchmark::State& state, const Batch& b) {
  Compressor l1(Compression::kGzip, 1), l6(Compression::kGzip, 0);
  state.counters["raw"] = static_cast<double>(b.bytes.size());
  state.counters["level6"] = static_cast<double>(l6.Compress(b.bytes)->size());
  state.counters["level1"] = static_cast<double>(l1.Compress(b.bytes)->size());
  state.counters["joined"] = static_cast<double>(JoinGzipMembers(b.gzip, b.bytes.size())->size());
  state.counters["s_per_item"] =
      benchmark::Counter(static_cast<double>(b.items),
                         benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Level6(benchmark::State& state) {
  const Batch b = MakeBatch(static_cast<Signal>(state.range(0)), static_cast<std::uint32_t>(state.range(1)));
  Compressor c(Compression::kGzip, 0);
  for (auto _ : state) benchmark::DoNotOptimize(c.Compress(b.bytes));
  Sizes(state, b);
}

void BM_Level1(benchmark::State& state) {
  const Batch b = MakeBatch(static_cast<Signal>(state.range(0)), static_cast<std::uint32_t>(state.range(1)));
  Compressor c(Compression::kGzip, 1);
  for (auto _ : state) benchmark::DoNotOptimize(c.Compress(b.bytes));
  Sizes(state, b);
}

void BM_Join(benchmark::State& state) {
  const Batch b = MakeBatch(static_cast<Signal>(state.range(0)), static_cast<std::uint32_t>(state.range(1)));
  for (auto _ : state) benchmark::DoNotOptimize(JoinGzipMembers(b.gzip, b.bytes.size()));
  Sizes(state, b);
}

// Signal (0 traces, 1 metrics, 2 logs) x items per request.
void Args(benchmark::internal::Benchmark* b) {
  for (int signal : {0, 1, 2}) {
    for (int items : {20, 100, 500}) b->Args({signal, items});
  }
}

BENCHMARK(BM_Level6)->Apply(Args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Level1)->Apply(Args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Join)->Apply(Args)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
