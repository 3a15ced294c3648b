// The wire walker against protobuf on the same bytes: a realistic
// ExportTraceServiceRequest of 100 spans (10 attributes and 2 events each).
//   ./bench_wire_walker --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>

#include <string>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "otlp/wire/wire_walker.h"

namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
namespace common = opentelemetry::proto::common::v1;
namespace trace = opentelemetry::proto::trace::v1;

void Attr(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs, const char* key,
          const std::string& value) {
  auto* kv = attrs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}

void IntAttr(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs, const char* key,
             std::int64_t value) {
  auto* kv = attrs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_int_value(value);
}

// What an instrumented HTTP service sends: one resource, one scope, `spans` server spans.
std::string MakeRequest(int spans) {
  ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* res = rs->mutable_resource()->mutable_attributes();
  Attr(res, "service.name", "checkout");
  Attr(res, "service.version", "1.4.2");
  Attr(res, "deployment.environment", "production");
  Attr(res, "host.name", "ip-10-0-12-34.ec2.internal");
  Attr(res, "telemetry.sdk.language", "go");
  rs->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp");
  ss->mutable_scope()->set_version("0.53.0");
  for (int i = 0; i < spans; ++i) {
    auto* span = ss->add_spans();
    std::string trace_id(16, '\0'), span_id(8, '\0');
    for (int b = 0; b < 16; ++b) trace_id[b] = static_cast<char>(i * 31 + b * 7);
    for (int b = 0; b < 8; ++b) span_id[b] = static_cast<char>(i * 17 + b * 3 + 1);
    span->set_trace_id(trace_id);
    span->set_span_id(span_id);
    span->set_parent_span_id(span_id.substr(1) + "x");
    span->set_name("GET /api/v1/orders/{id}");
    span->set_kind(trace::Span::SPAN_KIND_SERVER);
    span->set_start_time_unix_nano(1700000000000000000ull + i * 1000);
    span->set_end_time_unix_nano(1700000000002500000ull + i * 1000);
    span->set_flags(0x101);
    auto* attrs = span->mutable_attributes();
    Attr(attrs, "http.request.method", "GET");
    Attr(attrs, "http.route", "/api/v1/orders/{id}");
    Attr(attrs, "url.full", "https://shop.example.com/api/v1/orders/" + std::to_string(100000 + i));
    IntAttr(attrs, "http.response.status_code", 200);
    Attr(attrs, "server.address", "shop.example.com");
    IntAttr(attrs, "server.port", 443);
    Attr(attrs, "client.address", "10.0.3." + std::to_string(i % 250));
    Attr(attrs, "user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0");
    Attr(attrs, "network.protocol.version", "1.1");
    auto* sampled = attrs->Add();
    sampled->set_key("app.cache_hit");
    sampled->mutable_value()->set_bool_value(i % 3 == 0);
    for (int e = 0; e < 2; ++e) {
      auto* event = span->add_events();
      event->set_time_unix_nano(1700000000001000000ull + i * 1000 + e);
      event->set_name(e == 0 ? "cache.lookup" : "db.query");
      Attr(event->mutable_attributes(), "db.statement", "SELECT * FROM orders WHERE id = ?");
    }
    span->mutable_status()->set_code(trace::Status::STATUS_CODE_OK);
  }
  return req.SerializeAsString();
}

const std::string& Request() {
  static const std::string bytes = MakeRequest(100);
  return bytes;
}

void Report(benchmark::State& state, std::size_t bytes, std::size_t spans) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spans));
  state.counters["request_bytes"] = static_cast<double>(bytes);
}

void BM_ValidateAndCount(benchmark::State& state) {
  const std::string& bytes = Request();
  for (auto _ : state) {
    auto count = otlpd::wire::ValidateAndCount(otlpd::Signal::kTraces, bytes);
    benchmark::DoNotOptimize(count);
    if (!count.ok() || *count != 100) state.SkipWithError("bad count");
  }
  Report(state, bytes.size(), 100);
}
BENCHMARK(BM_ValidateAndCount);

// How a receiver would otherwise check a request: parse into a fresh message.
void BM_ProtobufParse(benchmark::State& state) {
  const std::string& bytes = Request();
  for (auto _ : state) {
    ExportTraceServiceRequest req;
    bool ok = req.ParseFromString(bytes);
    benchmark::DoNotOptimize(ok);
  }
  Report(state, bytes.size(), 100);
}
BENCHMARK(BM_ProtobufParse);

// Protobuf at its best: parsing onto an arena (no per-message frees).
void BM_ProtobufParseArena(benchmark::State& state) {
  const std::string& bytes = Request();
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* req = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
    bool ok = req->ParseFromString(bytes);
    benchmark::DoNotOptimize(ok);
  }
  Report(state, bytes.size(), 100);
}
BENCHMARK(BM_ProtobufParseArena);

// Cutting the request into batches of 30 spans (validation included).
void BM_Split30(benchmark::State& state) {
  const std::string& bytes = Request();
  for (auto _ : state) {
    auto pieces = otlpd::wire::Split(otlpd::Signal::kTraces, bytes, 30);
    benchmark::DoNotOptimize(pieces);
  }
  Report(state, bytes.size(), 100);
}
BENCHMARK(BM_Split30);

}  // namespace

BENCHMARK_MAIN();
