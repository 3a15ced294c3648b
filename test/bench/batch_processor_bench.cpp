// The batch processor's hot path: concatenating 100-span requests into
// batches of 8192 (otelcol's default); and 300-span requests into batches of
// send_batch_max_size 1000, which cuts batches on wire boundaries. Each
// iteration also copies the request into a new Payload, as a receiver does.
//   ./bench_batch_processor --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <atomic>
#include <string>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "processors/batch/batch_processor.h"

namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

std::string MakeRequest(int spans) {
  ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("checkout");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("otelhttp");
  for (int i = 0; i < spans; ++i) {
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, static_cast<char>(i + 1)));
    s->set_span_id(std::string(8, static_cast<char>(i + 2)));
    s->set_name("GET /api/orders/{id}");
    s->set_start_time_unix_nano(1700000000000000000ull + static_cast<unsigned>(i));
    s->set_end_time_unix_nano(1700000000001000000ull + static_cast<unsigned>(i));
    for (int a = 0; a < 10; ++a) {
      auto* attr = s->add_attributes();
      attr->set_key("http.attribute." + std::to_string(a));
      attr->mutable_value()->set_string_value("value-" + std::to_string(a * i));
    }
  }
  return req.SerializeAsString();
}

// Counts what leaves the processor: the cheapest possible next consumer.
class CountingConsumer : public otlpd::Consumer {
 public:
  otlpd::Status Consume(const otlpd::PayloadPtr& p) override {
    items += p->items;
    return otlpd::Status::Ok();
  }
  std::atomic<std::uint64_t> items{0};
};

void Run(benchmark::State& state, std::uint32_t max_size, int spans) {
  const std::string bytes = MakeRequest(spans);
  otlpd::processors::batch::Config config;
  config.send_batch_max_size = max_size;
  config.send_batch_size = max_size == 0 ? 8192 : max_size;
  config.timeout = std::chrono::seconds(60);
  CountingConsumer next;
  otlpd::Telemetry telemetry;
  otlpd::processors::batch::BatchProcessor batch("batch", otlpd::Signal::kTraces, config, &next,
                                                 telemetry.Register("processor", "batch"));
  (void)batch.Start();
  for (auto _ : state) {
    auto payload = otlpd::MakePayload(otlpd::Signal::kTraces, bytes, static_cast<std::uint64_t>(spans));
    benchmark::DoNotOptimize(batch.Consume(payload));
  }
  batch.Shutdown(otlpd::Clock::now());
  state.SetItemsProcessed(state.iterations() * spans);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
}

void BM_BatchConcat(benchmark::State& state) { Run(state, 0, 100); }
// 300-span requests into batches of exactly 1000: every batch is cut mid-request.
void BM_BatchConcatAndSplit1000(benchmark::State& state) { Run(state, 1000, 300); }

BENCHMARK(BM_BatchConcat);
BENCHMARK(BM_BatchConcatAndSplit1000);

}  // namespace

BENCHMARK_MAIN();
