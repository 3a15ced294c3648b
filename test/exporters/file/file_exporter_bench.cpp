// The file exporter's hot paths on a realistic request: 10 resources of 100
// spans (10 attributes each), one resource attribute naming the group.
//   cmake --build B --target bench_file_exporter && B/test/exporters/file/bench_file_exporter
// Grouping on the wire is measured against the obvious alternative: parse
// with the generated classes, copy each resource into its group's message,
// serialize.
#include <benchmark/benchmark.h>

#include <map>
#include <string>

#include "exporters/file/file_exporter.h"
#include "exporters/file/record.h"
#include "exporters/file/resource_groups.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test/exporters/file/test_files.h"

namespace {

using namespace otlpd;
using namespace otlpd::exporters::file;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
namespace common = opentelemetry::proto::common::v1;

void Attr(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs, const std::string& key,
          const std::string& value) {
  auto* kv = attrs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}

ExportTraceServiceRequest MakeRequestMessage(int resources, int spans) {
  ExportTraceServiceRequest req;
  for (int r = 0; r < resources; ++r) {
    auto* rs = req.add_resource_spans();
    auto* res = rs->mutable_resource()->mutable_attributes();
    Attr(res, "service.name", "svc-" + std::to_string(r));
    Attr(res, "host.name", "ip-10-0-12-34.ec2.internal");
    Attr(res, "deployment.environment", "production");
    Attr(res, "fileexporter.path_segment", "team-" + std::to_string(r % 4));
    auto* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp");
    for (int i = 0; i < spans; ++i) {
      auto* span = ss->add_spans();
      span->set_trace_id(std::string(16, static_cast<char>(i + 1)));
      span->set_span_id(std::string(8, static_cast<char>(i + 2)));
      span->set_name("GET /api/v1/orders/{id}");
      span->set_start_time_unix_nano(1700000000000000000ull + static_cast<std::uint64_t>(i) * 1000);
      span->set_end_time_unix_nano(1700000000002500000ull + static_cast<std::uint64_t>(i) * 1000);
      for (int a = 0; a < 10; ++a)
        Attr(span->mutable_attributes(), "attr." + std::to_string(a), "value-" + std::to_string(i * a));
    }
  }
  return req;
}

const std::string& Request() {
  static const std::string bytes = MakeRequestMessage(10, 100).SerializeAsString();
  return bytes;
}

void BM_GroupByWire(benchmark::State& state) {
  const std::string& bytes = Request();
  for (auto _ : state) {
    Result<GroupedRequest> g = GroupByResourceAttribute(Signal::kTraces, bytes, "fileexporter.path_segment");
    benchmark::DoNotOptimize(g);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_GroupByWire);

void BM_GroupByProtobuf(benchmark::State& state) {
  const std::string& bytes = Request();
  for (auto _ : state) {
    ExportTraceServiceRequest req;
    req.ParseFromString(bytes);
    std::map<std::string, ExportTraceServiceRequest> groups;
    for (const auto& rs : req.resource_spans()) {
      for (const auto& kv : rs.resource().attributes()) {
        if (kv.key() == "fileexporter.path_segment" && kv.value().has_string_value()) {
          *groups[kv.value().string_value()].add_resource_spans() = rs;
          break;
        }
      }
    }
    std::size_t n = 0;
    for (auto& [value, group] : groups) n += group.SerializeAsString().size();
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_GroupByProtobuf);

// Record encoding; `ratio` is record bytes / request bytes.
void BM_EncodeRecord(benchmark::State& state) {
  const Format format = state.range(0) == 0 ? Format::kJson : Format::kProto;
  const Compression compression = state.range(1) == 0 ? Compression::kNone : Compression::kZstd;
  const std::string& bytes = Request();
  std::size_t size = 0;
  for (auto _ : state) {
    Result<std::string> r = EncodeRecord(Signal::kTraces, bytes, format, compression);
    size = r->size();
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(state.iterations() * 1000);
  state.counters["ratio"] = static_cast<double>(size) / static_cast<double>(bytes.size());
  state.SetLabel(std::string(format == Format::kJson ? "json" : "proto") +
                 (compression == Compression::kZstd ? "+zstd" : ""));
}
BENCHMARK(BM_EncodeRecord)->Args({0, 0})->Args({1, 0})->Args({0, 1})->Args({1, 1});

// Consume through to the file (written on each Consume), grouping on or off.
void BM_ExporterConsume(benchmark::State& state) {
  testing::TempDir dir;
  Config c;
  c.format = state.range(0) == 0 ? Format::kJson : Format::kProto;
  c.group_by.enabled = state.range(1) != 0;
  c.path = c.group_by.enabled ? dir / "*.out" : dir / "all.out";
  c.rotation = Rotation{100, 0, 2, false};
  c.flush_interval = std::chrono::nanoseconds(0);
  ComponentTelemetry telemetry;
  FileExporter exporter("file", c, &telemetry);
  if (!exporter.Start().ok()) state.SkipWithError("start failed");
  PayloadPtr payload = MakePayload(Signal::kTraces, Request(), 1000);
  for (auto _ : state) {
    if (!exporter.Consume(payload).ok()) state.SkipWithError("consume failed");
  }
  exporter.Shutdown(Clock::now());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * Request().size()));
  state.SetItemsProcessed(state.iterations() * 1000);
  state.SetLabel(std::string(c.format == Format::kJson ? "json" : "proto") +
                 (c.group_by.enabled ? " group_by" : ""));
}
BENCHMARK(BM_ExporterConsume)->Args({0, 0})->Args({1, 0})->Args({0, 1})->Args({1, 1});

}  // namespace

BENCHMARK_MAIN();
