// The probabilistic_sampler's wire-level sampling against a protobuf
// round trip (what a decode-sample-encode processor pays at the least), on
// realistic requests: 1000 spans of an HTTP service (10 attributes each, 4
// resources) and 1000 log records. Items/s and bytes/s are of the input.
//   ./bench_probabilistic_sampler --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "processors/probabilistic_sampler/probabilistic_sampler_processor.h"

namespace {

using namespace otlpd;
using namespace otlpd::processors::probabilistic_sampler;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
namespace common = opentelemetry::proto::common::v1;

constexpr int kItems = 1000;

void Attr(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs, const char* key,
          const std::string& value) {
  auto* kv = attrs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}

std::string RandomBytes(std::mt19937_64& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>(rng());
  return s;
}

// `trace_state`: what every span carries (e.g. "ot=th:0" from an SDK);
// "rv" gives each span its own random `ot=rv:...` and another vendor's entry.
std::string MakeTraces(const std::string& trace_state = "") {
  std::mt19937_64 rng(1);
  ExportTraceServiceRequest req;
  for (int r = 0; r < 4; ++r) {
    auto* rs = req.add_resource_spans();
    Attr(rs->mutable_resource()->mutable_attributes(), "service.name", "checkout-" + std::to_string(r));
    Attr(rs->mutable_resource()->mutable_attributes(), "host.name", "ip-10-0-12-34.ec2.internal");
    auto* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp");
    for (int i = 0; i < kItems / 4; ++i) {
      auto* span = ss->add_spans();
      span->set_trace_id(RandomBytes(rng, 16));
      span->set_span_id(RandomBytes(rng, 8));
      span->set_parent_span_id(RandomBytes(rng, 8));
      if (trace_state == "rv") {
        static constexpr char kHex[] = "0123456789abcdef";
        std::string rv;
        for (int d = 0; d < 14; ++d) rv += kHex[rng() % 16];
        span->set_trace_state("ot=th:0;rv:" + rv + ",vendor=abc");
      } else {
        span->set_trace_state(trace_state);
      }
      span->set_name("GET /api/v1/orders/{id}");
      span->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
      span->set_start_time_unix_nano(1700000000000000000ull + i);
      span->set_end_time_unix_nano(1700000000002500000ull + i);
      auto* a = span->mutable_attributes();
      Attr(a, "http.request.method", "GET");
      Attr(a, "http.route", "/api/v1/orders/{id}");
      Attr(a, "url.path", "/api/v1/orders/" + std::to_string(i));
      Attr(a, "url.scheme", "https");
      Attr(a, "server.address", "checkout.internal");
      Attr(a, "network.protocol.version", "1.1");
      Attr(a, "user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)");
      Attr(a, "client.address", "10.0.3.17");
      Attr(a, "http.response.status_code", "200");
      Attr(a, "thread.name", "worker-7");
    }
  }
  return req.SerializeAsString();
}

std::string MakeLogs() {
  std::mt19937_64 rng(2);
  ExportLogsServiceRequest req;
  auto* sl = req.add_resource_logs()->add_scope_logs();
  for (int i = 0; i < kItems; ++i) {
    auto* rec = sl->add_log_records();
    rec->set_time_unix_nano(1700000000000000000ull + i);
    rec->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_INFO);
    rec->mutable_body()->set_string_value("order " + std::to_string(i) + " shipped to warehouse 7");
    Attr(rec->mutable_attributes(), "request.id", "req-" + std::to_string(rng()));
    Attr(rec->mutable_attributes(), "component", "fulfilment");
  }
  return req.SerializeAsString();
}

void Run(benchmark::State& state, Signal signal, const std::string& request, const Config& cfg) {
  Sampler sampler(cfg, signal);
  SampledRequest out;
  std::uint64_t kept = 0;
  for (auto _ : state) {
    if (!SampleRequest(sampler, signal, request, out).ok()) state.SkipWithError("sampling failed");
    kept += out.kept;
    benchmark::DoNotOptimize(out.bytes.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kItems);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * request.size()));
  state.counters["kept"] = static_cast<double>(kept) / static_cast<double>(state.iterations() * kItems);
}

Config Percent(float pct, Mode mode) {
  Config c;
  c.sampling_percentage = pct;
  c.mode = mode;
  return c;
}

void BM_Traces_HashSeed25(benchmark::State& state) {
  static const std::string req = MakeTraces();
  Run(state, Signal::kTraces, req, Percent(25, Mode::kHashSeed));
}
void BM_Traces_Proportional25(benchmark::State& state) {
  static const std::string req = MakeTraces();
  Run(state, Signal::kTraces, req, Percent(25, Mode::kProportional));
}
void BM_Traces_Equalizing25_WithTraceState(benchmark::State& state) {
  static const std::string req = MakeTraces("rv");
  Run(state, Signal::kTraces, req, Percent(25, Mode::kEqualizing));
}
// Everything kept and every span re-encoded (hash_seed writes th and rv).
void BM_Traces_HashSeed100(benchmark::State& state) {
  static const std::string req = MakeTraces();
  Run(state, Signal::kTraces, req, Percent(100, Mode::kHashSeed));
}
// Everything kept unchanged: the request is passed on as it is.
void BM_Traces_Proportional100_Unchanged(benchmark::State& state) {
  static const std::string req = MakeTraces("ot=th:0");
  Run(state, Signal::kTraces, req, Percent(100, Mode::kProportional));
}
void BM_Logs_Record25(benchmark::State& state) {
  static const std::string req = MakeLogs();
  Config c = Percent(25, Mode::kUnset);
  c.attribute_source = "record";
  c.from_attribute = "request.id";
  Run(state, Signal::kLogs, req, c);
}

// The floor of a decode-sample-encode design: parse and serialize, no sampling.
void BM_Traces_ProtobufRoundTrip(benchmark::State& state) {
  static const std::string req = MakeTraces();
  for (auto _ : state) {
    ExportTraceServiceRequest msg;
    msg.ParseFromString(req);
    std::string out = msg.SerializeAsString();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kItems);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * req.size()));
}

BENCHMARK(BM_Traces_HashSeed25);
BENCHMARK(BM_Traces_Proportional25);
BENCHMARK(BM_Traces_Equalizing25_WithTraceState);
BENCHMARK(BM_Traces_HashSeed100);
BENCHMARK(BM_Traces_Proportional100_Unchanged);
BENCHMARK(BM_Logs_Record25);
BENCHMARK(BM_Traces_ProtobufRoundTrip);

}  // namespace

BENCHMARK_MAIN();
