// filter and transform on the bench scenario's requests (test/bench/run's
// traces-filter-transform statements), each alone and as a run sharing one
// decode, against a bare protobuf round trip. Items/s are spans in.
//   ./bench_ottl_processors --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include "component/consumer.h"
#include "config/loader.h"
#include "processors/filter/filter_processor.h"
#include "processors/transform/transform_processor.h"
#include "test/bench/request_builder.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace {

using namespace otlpd;

constexpr std::uint32_t kSpans = 100;

const char* kFilter = R"(
error_mode: ignore
traces:
  span:
    - attributes["client.address"] == "10.0.3.7"
)";
const char* kTransform = R"(
error_mode: ignore
trace_statements:
  - context: span
    statements:
      - set(attributes["deployment.environment"], resource.attributes["deployment.environment.name"])
      - replace_pattern(attributes["url.path"], "/[0-9]+$", "/{id}")
      - delete_key(attributes, "user_agent.original")
      - set(status.code, STATUS_CODE_ERROR) where attributes["http.response.status_code"] >= 500
)";

// A health-check filter on requests without health checks: the literal is
// not in the request, so nothing is decoded.
const char* kHealthFilter = R"(
traces:
  span:
    - attributes["http.route"] == "/healthz"
)";

// A resource-only transform: what enriching or redacting the resource takes.
const char* kResourceTransform = R"(
trace_statements:
  - context: resource
    statements:
      - set(attributes["deployment.environment"], "production")
      - delete_key(attributes, "telemetry.sdk.version")
)";

template <class Config>
std::shared_ptr<const Config> Decode(const char* yaml, const char* path) {
  config::Node node = config::ParseYaml(yaml, "bench.yaml");
  config::MapDecoder d(node, path);
  return std::make_shared<const Config>(Config::Decode(d));
}

// Keeps the last payload so nothing is optimised away.
class Discard : public Consumer {
 public:
  Status Consume(const PayloadPtr& payload) override {
    last_ = payload;
    return Status::Ok();
  }

 private:
  PayloadPtr last_;
};

PayloadPtr Request() {
  static const PayloadPtr p = MakePayload(
      Signal::kTraces,
      bench::RequestTemplate::Build(Signal::kTraces, kSpans).Instantiate(1, 1700000000000000000ull), kSpans);
  return p;
}

void Drive(benchmark::State& state, Consumer& head) {
  const PayloadPtr in = Request();
  for (auto _ : state) {
    if (!head.Consume(in).ok()) state.SkipWithError("consume failed");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kSpans);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in->bytes.size()));
}

void BM_ProtobufRoundTrip(benchmark::State& state) {
  const PayloadPtr in = Request();
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* req = google::protobuf::Arena::CreateMessage<
        opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest>(&arena);
    req->ParseFromString(in->bytes);
    std::string out = req->SerializeAsString();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kSpans);
}

// Decoding alone.
void BM_ProtobufDecode(benchmark::State& state) {
  const PayloadPtr in = Request();
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* req = google::protobuf::Arena::CreateMessage<
        opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest>(&arena);
    req->ParseFromString(in->bytes);
    benchmark::DoNotOptimize(req);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kSpans);
}

void BM_Filter(benchmark::State& state) {
  Discard sink;
  processors::filter::FilterProcessor f(
      Signal::kTraces, Decode<processors::filter::Config>(kFilter, "p.filter"), &sink, nullptr);
  Drive(state, f);
}

void BM_FilterNothingToDrop(benchmark::State& state) {
  Discard sink;
  processors::filter::FilterProcessor f(
      Signal::kTraces, Decode<processors::filter::Config>(kHealthFilter, "p.filter"), &sink, nullptr);
  Drive(state, f);
}

void BM_Transform(benchmark::State& state) {
  Discard sink;
  processors::transform::TransformProcessor t(
      Signal::kTraces, Decode<processors::transform::Config>(kTransform, "p.transform"), &sink);
  Drive(state, t);
}

// Resource statements only: the spans are never decoded.
void BM_TransformResourceOnly(benchmark::State& state) {
  Discard sink;
  processors::transform::TransformProcessor t(
      Signal::kTraces, Decode<processors::transform::Config>(kResourceTransform, "p.transform"), &sink);
  Drive(state, t);
}

// filter then transform: one decode, one encode.
void BM_FilterThenTransform(benchmark::State& state) {
  Discard sink;
  processors::transform::TransformProcessor t(
      Signal::kTraces, Decode<processors::transform::Config>(kTransform, "p.transform"), &sink);
  processors::filter::FilterProcessor f(Signal::kTraces,
                                        Decode<processors::filter::Config>(kFilter, "p.filter"), &t, nullptr);
  Drive(state, f);
}

BENCHMARK(BM_ProtobufRoundTrip);
BENCHMARK(BM_ProtobufDecode);
BENCHMARK(BM_Filter);
BENCHMARK(BM_FilterNothingToDrop);
BENCHMARK(BM_Transform);
BENCHMARK(BM_TransformResourceOnly);
BENCHMARK(BM_FilterThenTransform);

}  // namespace

BENCHMARK_MAIN();
