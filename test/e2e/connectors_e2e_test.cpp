// Connectors through the real binary: a front otlpd routes traces by
// service.name to two OTLP backends (two more otlpd processes writing proto
// files), forwards everything into a shared pipeline, and derives span
// metrics; then SIGTERM. Every port is bound as 0 and read back from the log.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <regex>

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/support/process.h"
#include "test/support/proto_file.h"
#include "test/support/sink.h"
#include "test/support/trace_file.h"

using namespace otlpd::test;
namespace fs = std::filesystem;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;
using opentelemetry::proto::collector::trace::v1::TraceService;

namespace {

// The gRPC port otlpd logged for its receiver, once it listens.
int GrpcPort(Process& p) {
  static const std::regex kListening(R"(OTLP/gRPC listening on \S+ \(port (\d+))");
  int port = 0;
  WaitFor(
      [&] {
        std::smatch m;
        const std::string out = p.Output();
        if (std::regex_search(out, m, kListening)) port = std::stoi(m[1].str());
        return port != 0 || !p.running();
      },
      std::chrono::seconds(20));
  return port;
}

std::unique_ptr<Process> StartOtlpd(const fs::path& dir, const std::string& name, const std::string& config) {
  WriteFile(dir / (name + ".yaml"), config);
  return std::make_unique<Process>(
      std::vector<std::string>{OTLPD_BINARY, "--config", (dir / (name + ".yaml")).string()},
      dir / (name + ".log"));
}

std::string Backend(const fs::path& out) {
  return R"(
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:0
exporters:
  file:
    path: )" +
         out.string() +
         R"(
    format: proto
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file]
)";
}

ExportTraceServiceRequest Request(int n) {
  ExportTraceServiceRequest req;
  for (const char* service : {"checkout", "cart", "search"}) {
    auto* rs = req.add_resource_spans();
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value(service);
    auto* ss = rs->add_scope_spans();
    auto* s = ss->add_spans();
    s->set_name(std::string(service) + "-" + std::to_string(n));
    s->set_trace_id(std::string(16, '\x01'));
    s->set_span_id(std::string(8, '\x02'));
    s->set_start_time_unix_nano(1000);
    s->set_end_time_unix_nano(1000 + 3'000'000);  // 3 ms
  }
  return req;
}

}  // namespace

TEST_CASE("routing by service.name to two OTLP backends, forward into a shared pipeline, span metrics") {
  TempDir dir;
  auto a = StartOtlpd(dir.path(), "a", Backend(dir.path() / "a.pb"));
  auto b = StartOtlpd(dir.path(), "b", Backend(dir.path() / "b.pb"));
  const int port_a = GrpcPort(*a);
  const int port_b = GrpcPort(*b);
  REQUIRE(port_a != 0);
  REQUIRE(port_b != 0);

  auto front = StartOtlpd(dir.path(), "front",
                          R"(
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:0
exporters:
  otlp/a:
    endpoint: 127.0.0.1:)" + std::to_string(port_a) +
                              R"(
    tls: {insecure: true}
  otlp/b:
    endpoint: 127.0.0.1:)" + std::to_string(port_b) +
                              R"(
    tls: {insecure: true}
  file/all:
    path: )" + (dir.path() / "all.pb").string() +
                              R"(
    format: proto
  file/metrics:
    path: )" + (dir.path() / "metrics.pb").string() +
                              R"(
    format: proto
connectors:
  routing/tenants:
    default_pipelines: [traces/b]
    table:
      - statement: route() where attributes["service.name"] == "checkout"
        pipelines: [traces/a]
  forward:
  spanmetrics:
    metrics_flush_interval: 100ms
service:
  pipelines:
    traces/in:
      receivers: [otlp]
      exporters: [routing/tenants, forward, spanmetrics]
    traces/a:
      receivers: [routing/tenants]
      exporters: [otlp/a]
    traces/b:
      receivers: [routing/tenants]
      exporters: [otlp/b]
    traces/all:
      receivers: [forward]
      exporters: [file/all]
    metrics:
      receivers: [spanmetrics]
      exporters: [file/metrics]
)");
  const int port = GrpcPort(*front);
  REQUIRE(port != 0);
  auto stub = TraceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext ctx;
    ExportTraceServiceResponse resp;
    REQUIRE(stub->Export(&ctx, Request(i), &resp).ok());
  }
  // checkout to a, the rest to b, everything to the shared file.
  REQUIRE(WaitFor([&] { return SpanNamesInProtoFile(dir.path() / "a.pb").size() == 3; },
                  std::chrono::seconds(20)));
  REQUIRE(WaitFor([&] { return SpanNamesInProtoFile(dir.path() / "b.pb").size() == 6; },
                  std::chrono::seconds(20)));
  REQUIRE(WaitFor([&] { return SpanNamesInProtoFile(dir.path() / "all.pb").size() == 9; },
                  std::chrono::seconds(20)));
  for (const auto& n : SpanNamesInProtoFile(dir.path() / "a.pb")) CHECK(n.rfind("checkout-", 0) == 0);
  for (const auto& n : SpanNamesInProtoFile(dir.path() / "b.pb")) CHECK(n.rfind("checkout-", 0) != 0);

  // Span metrics: a flush with 3 calls per service (cumulative; the first point of a series is 0).
  auto calls_of = [&](const std::string& service) {
    std::int64_t last = -1;
    for (const auto& req :
         ParseProtoRecords<ExportMetricsServiceRequest>(ReadProtoRecords(dir.path() / "metrics.pb"))) {
      for (const auto& rm : req.resource_metrics()) {
        for (const auto& sm : rm.scope_metrics()) {
          for (const auto& m : sm.metrics()) {
            if (m.name() != "traces.span.metrics.calls") continue;
            std::int64_t sum = 0;
            bool mine = false;
            for (const auto& dp : m.sum().data_points()) {
              for (const auto& kv : dp.attributes())
                if (kv.key() == "service.name" && kv.value().string_value() == service) mine = true;
              sum += dp.as_int();
            }
            if (mine) last = sum;
          }
        }
      }
    }
    return last;
  };
  REQUIRE(WaitFor([&] { return calls_of("checkout") == 3 && calls_of("search") == 3; },
                  std::chrono::seconds(20)));

  front->Signal(SIGTERM);
  REQUIRE(front->Wait(std::chrono::seconds(30)) == 0);
  a->Signal(SIGTERM);
  b->Signal(SIGTERM);
  CHECK(a->Wait(std::chrono::seconds(30)) == 0);
  CHECK(b->Wait(std::chrono::seconds(30)) == 0);
}
