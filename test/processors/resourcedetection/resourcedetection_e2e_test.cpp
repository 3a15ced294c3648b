// The real otlpd binary with `resourcedetection: {detectors: [env, system]}`
// between its OTLP receiver and a file exporter: spans sent over gRPC come out
// with the attributes OTEL_RESOURCE_ATTRIBUTES and the machine give them.
// The receiver binds port 0 and the test reads the port from the log.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <regex>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/support/process.h"
#include "test/support/proto_file.h"
#include "test/support/sink.h"

using namespace otlpd::test;
namespace tracepb = opentelemetry::proto::collector::trace::v1;

namespace {

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

std::string Config(const std::string& out) {
  return "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0\n"
         "processors:\n  resourcedetection:\n    detectors: [env, system]\n    override: false\n"
         "    system:\n      hostname_sources: [os]\n      resource_attributes:\n        host.arch: "
         "{enabled: true}\n"
         "exporters:\n  file:\n    path: " +
         out +
         "\n    format: proto\n    flush_interval: 50ms\n"
         "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n"
         "      processors: [resourcedetection]\n      exporters: [file]\n";
}

}  // namespace

TEST_CASE("otlpd stamps env and system attributes on every resource") {
  TempDir dir;
  const auto out = dir / "spans.pb";
  WriteFile(dir / "c.yaml", Config(out.string()));
  setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=e2e%20run,service.name=from-env", 1);
  Process otlpd({OTLPD_BINARY, "--config", (dir / "c.yaml").string()}, dir / "otlpd.log");
  unsetenv("OTEL_RESOURCE_ATTRIBUTES");
  const int port = GrpcPort(otlpd);
  INFO(otlpd.Output());
  REQUIRE(port != 0);

  auto stub = tracepb::TraceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  tracepb::ExportTraceServiceRequest req;
  for (const char* service : {"checkout", "cart"}) {
    auto* rs = req.add_resource_spans();
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value(service);
    auto* s = rs->add_scope_spans()->add_spans();
    s->set_name("op");
    s->set_trace_id(std::string(16, '\x01'));
    s->set_span_id(std::string(8, '\x02'));
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  tracepb::ExportTraceServiceResponse resp;
  REQUIRE(stub->Export(&ctx, req, &resp).ok());
  otlpd.Signal(SIGTERM);
  REQUIRE(otlpd.Wait(std::chrono::seconds(30)) == 0);

  int bad = 0;
  const auto requests = ParseProtoRecords<tracepb::ExportTraceServiceRequest>(ReadProtoRecords(out), &bad);
  REQUIRE(bad == 0);
  REQUIRE(requests.size() == 1);
  char host[256] = {};
  REQUIRE(gethostname(host, sizeof host - 1) == 0);
  std::vector<std::string> services;
  for (const auto& rs : requests[0].resource_spans()) {
    std::map<std::string, std::string> m;
    for (const auto& a : rs.resource().attributes()) m[a.key()] = a.value().string_value();
    services.push_back(m["service.name"]);  // override: false keeps the sender's
    CHECK(m["deployment.environment"] == "e2e run");
    CHECK(m["host.name"] == host);
    CHECK(m["os.type"] == "linux");
    CHECK_FALSE(m["host.arch"].empty());
  }
  CHECK(services == std::vector<std::string>{"checkout", "cart"});
}

TEST_CASE("otlpd refuses to start when OTEL_RESOURCE_ATTRIBUTES is malformed") {
  TempDir dir;
  WriteFile(dir / "c.yaml", Config((dir / "spans.pb").string()));
  setenv("OTEL_RESOURCE_ATTRIBUTES", "not-a-pair", 1);
  Process otlpd({OTLPD_BINARY, "--config", (dir / "c.yaml").string()}, dir / "otlpd.log");
  unsetenv("OTEL_RESOURCE_ATTRIBUTES");
  const std::optional<int> code = otlpd.Wait(std::chrono::seconds(30));
  INFO(otlpd.Output());
  REQUIRE(code.has_value());
  CHECK(*code != 0);
  CHECK_THAT(otlpd.Output(), Catch::Contains("invalid resource format: \\\"not-a-pair\\\"") ||
                                 Catch::Contains("invalid resource format: \"not-a-pair\""));
}
