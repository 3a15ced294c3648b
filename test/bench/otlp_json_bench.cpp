// OTLP/JSON codec throughput on a 100-span request with 10 attributes per
// span, against protobuf's reflection-based JSON utilities as a baseline.
// Items are spans; bytes are JSON bytes (decode input, encode output).

#include <benchmark/benchmark.h>
#include <google/protobuf/util/json_util.h>

#include <string>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "otlp/json/otlp_json.h"

namespace {

using TraceRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
constexpr int kSpans = 100;

TraceRequest MakeRequest() {
  TraceRequest req;
  auto* rs = req.add_resource_spans();
  for (const char* key : {"service.name", "service.version", "host.name"}) {
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key(key);
    kv->mutable_value()->set_string_value(std::string("value-of-") + key);
  }
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("io.opentelemetry.contrib.http");
  ss->mutable_scope()->set_version("1.32.0");
  for (int i = 0; i < kSpans; ++i) {
    auto* span = ss->add_spans();
    span->set_trace_id(std::string(16, static_cast<char>(i + 1)));
    span->set_span_id(std::string(8, static_cast<char>(i + 2)));
    span->set_parent_span_id(std::string(8, static_cast<char>(i + 3)));
    span->set_name("GET /api/v1/orders/{id}");
    span->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
    span->set_start_time_unix_nano(1700000000000000000ULL + i * 1000ULL);
    span->set_end_time_unix_nano(1700000000000500000ULL + i * 1000ULL);
    for (int a = 0; a < 10; ++a) {
      auto* kv = span->add_attributes();
      kv->set_key("http.attribute." + std::to_string(a));
      switch (a % 4) {
        case 0: kv->mutable_value()->set_string_value("some string value " + std::to_string(i * a)); break;
        case 1: kv->mutable_value()->set_int_value(a * 1000 + i); break;
        case 2: kv->mutable_value()->set_double_value(a * 0.125 + i); break;
        default: kv->mutable_value()->set_bool_value(i % 2 == 0);
      }
    }
    span->mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_OK);
  }
  return req;
}

const std::string& ProtoBytes() {
  static const std::string bytes = MakeRequest().SerializeAsString();
  return bytes;
}

const std::string& Json() {
  static const std::string json = *otlpd::json::EncodeRequest(otlpd::Signal::kTraces, ProtoBytes());
  return json;
}

void Count(benchmark::State& state, std::size_t bytes) {
  state.SetItemsProcessed(state.iterations() * kSpans);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void BM_OtlpJsonDecode(benchmark::State& state) {
  const std::string& json = Json();
  for (auto _ : state) {
    auto bytes = otlpd::json::DecodeRequest(otlpd::Signal::kTraces, json);
    benchmark::DoNotOptimize(bytes);
  }
  Count(state, json.size());
}
BENCHMARK(BM_OtlpJsonDecode);

void BM_OtlpJsonEncode(benchmark::State& state) {
  const std::string& proto = ProtoBytes();
  for (auto _ : state) {
    auto json = otlpd::json::EncodeRequest(otlpd::Signal::kTraces, proto);
    benchmark::DoNotOptimize(json);
  }
  Count(state, Json().size());
}
BENCHMARK(BM_OtlpJsonEncode);

// Baselines: protobuf's reflection-driven JSON (ids come out base64, so this
// is not OTLP/JSON, only a yardstick for the message-object approach).
void BM_ProtobufUtilJsonToBytes(benchmark::State& state) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_enums_as_ints = true;
  (void)google::protobuf::util::MessageToJsonString(MakeRequest(), &json, options);
  for (auto _ : state) {
    TraceRequest req;
    (void)google::protobuf::util::JsonStringToMessage(json, &req);
    std::string bytes = req.SerializeAsString();
    benchmark::DoNotOptimize(bytes);
  }
  Count(state, json.size());
}
BENCHMARK(BM_ProtobufUtilJsonToBytes);

void BM_ProtobufUtilBytesToJson(benchmark::State& state) {
  const std::string& proto = ProtoBytes();
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_enums_as_ints = true;
  std::size_t size = 0;
  for (auto _ : state) {
    TraceRequest req;
    req.ParseFromString(proto);
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(req, &json, options);
    size = json.size();
    benchmark::DoNotOptimize(json);
  }
  Count(state, size);
}
BENCHMARK(BM_ProtobufUtilBytesToJson);

}  // namespace

BENCHMARK_MAIN();
