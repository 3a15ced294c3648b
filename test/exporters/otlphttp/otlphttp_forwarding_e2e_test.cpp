// Two real otlpd processes, A exporting to B's OTLP/HTTP receiver with the
// otlphttp exporter: B is down while A accepts traffic, and everything
// reaches B exactly once after B starts.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/support/process.h"
#include "test/support/sink.h"
#include "test/support/trace_file.h"

using namespace otlpd::test;
namespace tracepb = opentelemetry::proto::collector::trace::v1;

namespace {

const std::string kOtlpd = OTLPD_BINARY;

// B: OTLP/HTTP in, every request appended to a proto file.
std::string BackendConfig(int port, const std::string& path) {
  return "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:" +
         std::to_string(port) + "\nexporters:\n  file:\n    path: " + path +
         "\n    format: proto\n    flush_interval: 20ms\n"
         "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [file]\n";
}

// A: OTLP/gRPC in, forwarded to B over OTLP/HTTP with fast retries.
std::string ForwarderConfig(int port, int backend_port, const std::string& exporter_type,
                            const std::string& compression) {
  return "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:" +
         std::to_string(port) + "\nexporters:\n  " + exporter_type +
         ":\n    endpoint: http://127.0.0.1:" + std::to_string(backend_port) +
         "\n    compression: " + compression +
         "\n    retry_on_failure:\n      initial_interval: 50ms\n      max_interval: 500ms\n"
         "      max_elapsed_time: 0\n"
         "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [" +
         exporter_type + "]\n";
}

tracepb::ExportTraceServiceRequest Request(int i) {
  tracepb::ExportTraceServiceRequest req;
  auto* ss = req.add_resource_spans()->add_scope_spans();
  for (int j = 0; j < 3; ++j) {
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, static_cast<char>(i % 250 + 1)));
    s->set_span_id(std::string(8, static_cast<char>(j + 1)));
    s->set_name("span-" + std::to_string(i) + "-" + std::to_string(j));
  }
  return req;
}

}  // namespace

TEST_CASE("otlpd A forwards to otlpd B over otlphttp; B down for a while gets everything exactly once") {
  // Both spellings of the type, and the two main compressions.
  const auto [type, compression] = GENERATE(std::pair<std::string, std::string>{"otlphttp", "gzip"},
                                            std::pair<std::string, std::string>{"otlp_http", "zstd"});
  CAPTURE(type, compression);
  TempDir dir;
  ReservedPort port_b;  // B, named in A's config: down until released
  REQUIRE(port_b.port() != 0);
  const auto out = dir / "b.pb";
  WriteFile(dir / "a.yaml", ForwarderConfig(0, port_b.port(), type, compression));
  WriteFile(dir / "b.yaml", BackendConfig(port_b.port(), out.string()));

  Process a({kOtlpd, "--config", (dir / "a.yaml").string()}, dir / "a.log");
  const int port_a = LoggedPort(a, "OTLP/gRPC listening on");
  INFO(a.Output());
  REQUIRE(port_a != 0);
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port_a), grpc::InsecureChannelCredentials());
  auto stub = tracepb::TraceService::NewStub(channel);
  constexpr int kRequests = 40;
  std::multiset<std::string> sent;
  for (int i = 0; i < kRequests; ++i) {
    grpc::ClientContext ctx;
    tracepb::ExportTraceServiceResponse resp;
    auto req = Request(i);
    grpc::Status s = stub->Export(&ctx, req, &resp);
    INFO(a.Output());
    REQUIRE(s.ok());  // A acknowledges while B is down: its queue holds the data
    for (const auto& sp : req.resource_spans(0).scope_spans(0).spans()) sent.insert(sp.name());
  }
  // B stays down until A has tried it a few times.
  REQUIRE(WaitFor([&] { return port_b.attempts() >= 2; }, std::chrono::seconds(30)));

  port_b.Release();
  Process b({kOtlpd, "--config", (dir / "b.yaml").string()}, dir / "b.log");
  REQUIRE(WaitForPort(port_b.port(), b));
  bool all =
      WaitFor([&] { return SpanNamesInProtoFile(out).size() >= sent.size(); }, std::chrono::seconds(60));
  INFO(a.Output());
  INFO(b.Output());
  REQUIRE(all);
  a.Signal(SIGTERM);
  CHECK(a.Wait(std::chrono::seconds(30)) == 0);
  b.Signal(SIGTERM);
  CHECK(b.Wait(std::chrono::seconds(30)) == 0);
  CHECK(SpanNamesInProtoFile(out) == sent);  // every span, none twice
}
