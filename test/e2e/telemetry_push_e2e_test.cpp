// service.telemetry.metrics periodic readers with an otlp exporter: otlpd A
// pushes its own metrics to otlpd B (OTLP receiver -> file exporter, proto),
// over gRPC and over OTLP/HTTP, and they arrive decoded with otelcol's names
// and A's service.telemetry.resource.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/support/process.h"
#include "test/support/proto_file.h"
#include "test/support/sink.h"

using namespace otlpd::test;
namespace metricspb = opentelemetry::proto::collector::metrics::v1;
namespace tracepb = opentelemetry::proto::collector::trace::v1;

namespace {

const std::string kOtlpd = OTLPD_BINARY;

// otlpd B: OTLP in on gRPC and HTTP (port 0), `signal` written to `out` as
// proto records. Holds the process and the ports it bound.
struct Receiving {
  Process process;
  int grpc_port = 0;
  int http_port = 0;

  Receiving(const TempDir& dir, const std::string& signal, const std::filesystem::path& out)
      : process(Start(dir, signal, out), dir / "b.log") {
    grpc_port = LoggedPort(process, "OTLP/gRPC listening on");
    http_port = LoggedPort(process, "OTLP/HTTP listening on");
    INFO(process.Output());
    REQUIRE(grpc_port != 0);
    REQUIRE(http_port != 0);
  }

 private:
  static std::vector<std::string> Start(const TempDir& dir, const std::string& signal,
                                        const std::filesystem::path& out) {
    WriteFile(
        dir / "b.yaml",
        std::string("receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0\n") +
            "      http:\n        endpoint: 127.0.0.1:0\nexporters:\n  file:\n    path: " + out.string() +
            "\n    format: proto\n    flush_interval: 20ms\n"
            "service:\n  telemetry:\n    metrics:\n      level: none\n"
            "  pipelines:\n    " +
            signal + ":\n      receivers: [otlp]\n      exporters: [file]\n");
    return {kOtlpd, "--config", (dir / "b.yaml").string()};
  }
};

struct Seen {
  std::map<std::string, double> sums;  // metric name -> largest value seen (any series)
  std::set<std::string> names;
  std::map<std::string, std::string> resource;
  std::set<int> temporalities;
};

Seen Read(const std::filesystem::path& path) {
  Seen seen;
  for (const auto& req : ParseProtoRecords<metricspb::ExportMetricsServiceRequest>(ReadProtoRecords(path))) {
    for (const auto& rm : req.resource_metrics()) {
      for (const auto& kv : rm.resource().attributes()) seen.resource[kv.key()] = kv.value().string_value();
      for (const auto& sm : rm.scope_metrics()) {
        for (const auto& m : sm.metrics()) {
          seen.names.insert(m.name());
          if (m.has_sum()) {
            seen.temporalities.insert(m.sum().aggregation_temporality());
            for (const auto& p : m.sum().data_points()) {
              const double v = p.has_as_int() ? static_cast<double>(p.as_int()) : p.as_double();
              seen.sums[m.name()] = std::max(seen.sums[m.name()], v);
            }
          }
        }
      }
    }
  }
  return seen;
}

void SendSpans(int port, int n) {
  auto stub = tracepb::TraceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  tracepb::ExportTraceServiceRequest req;
  auto* ss = req.add_resource_spans()->add_scope_spans();
  for (int i = 0; i < n; ++i) {
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, '\x01'));
    s->set_span_id(std::string(8, static_cast<char>(i + 1)));
    s->set_name("x");
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  tracepb::ExportTraceServiceResponse resp;
  REQUIRE(stub->Export(&ctx, req, &resp).ok());
}

}  // namespace

TEST_CASE("otlpd pushes its own metrics over OTLP to a second otlpd") {
  const std::string protocol = GENERATE(std::string("grpc"), std::string("http/protobuf"));
  CAPTURE(protocol);
  TempDir dir;
  const auto out = dir / "metrics.pb";
  Receiving b(dir, "metrics", out);
  const std::string endpoint = protocol == "grpc"
                                   ? "http://127.0.0.1:" + std::to_string(b.grpc_port)
                                   : "http://127.0.0.1:" + std::to_string(b.http_port) + "/v1/metrics";
  WriteFile(dir / "a.yaml",
            std::string("receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0\n") +
                "exporters:\n  debug:\n"
                "service:\n  telemetry:\n    resource:\n      deployment.environment: e2e\n"
                "    metrics:\n      readers:\n        - periodic:\n            interval: 200\n"
                "            exporter:\n              otlp:\n                protocol: " +
                protocol + "\n                endpoint: " + endpoint +
                "\n                headers:\n                  - name: x-tenant\n"
                "                    value: a\n"
                "                temporality_preference: cumulative\n"
                "  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n");
  Process a({kOtlpd, "--config", (dir / "a.yaml").string()}, dir / "a.log");
  const int port_a = LoggedPort(a, "OTLP/gRPC listening on");
  REQUIRE(port_a != 0);
  SendSpans(port_a, 7);
  const bool arrived = WaitFor([&] { return Read(out).sums["otelcol_receiver_accepted_spans"] >= 7; },
                               std::chrono::seconds(30));
  INFO(a.Output());
  INFO(b.process.Output());
  REQUIRE(arrived);
  const Seen seen = Read(out);
  CHECK(seen.names.count("otelcol_receiver_refused_spans") == 1);
  CHECK(seen.names.count("otelcol_process_uptime") == 1);
  CHECK(seen.resource.at("service.name") == "otlpd");
  CHECK(seen.resource.at("deployment.environment") == "e2e");
  CHECK(seen.resource.count("service.instance.id") == 1);
  CHECK(seen.temporalities == std::set<int>{2});  // AGGREGATION_TEMPORALITY_CUMULATIVE
  a.Signal(SIGTERM);
  CHECK(a.Wait(std::chrono::seconds(30)) == 0);
  b.process.Signal(SIGTERM);
  CHECK(b.process.Wait(std::chrono::seconds(30)) == 0);
}

namespace {

namespace logspb = opentelemetry::proto::collector::logs::v1;

struct SeenLogs {
  std::vector<std::string> bodies;
  std::set<int> severities;
  std::set<std::string> severity_texts;
  std::map<std::string, std::string> resource;
};

SeenLogs ReadLogs(const std::filesystem::path& path) {
  SeenLogs seen;
  for (const auto& req : ParseProtoRecords<logspb::ExportLogsServiceRequest>(ReadProtoRecords(path))) {
    for (const auto& rl : req.resource_logs()) {
      for (const auto& kv : rl.resource().attributes()) seen.resource[kv.key()] = kv.value().string_value();
      for (const auto& sl : rl.scope_logs()) {
        for (const auto& r : sl.log_records()) {
          seen.bodies.push_back(r.body().string_value());
          seen.severities.insert(r.severity_number());
          seen.severity_texts.insert(r.severity_text());
        }
      }
    }
  }
  return seen;
}

bool AnyContains(const std::vector<std::string>& bodies, const std::string& part) {
  for (const auto& b : bodies) {
    if (b.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("otlpd exports its own logs over OTLP to a second otlpd, and flushes them at shutdown") {
  const std::string protocol = GENERATE(std::string("grpc"), std::string("http/protobuf"));
  const std::string processor = GENERATE(std::string("batch"), std::string("simple"));
  CAPTURE(protocol, processor);
  TempDir dir;
  const auto out = dir / "logs.pb";
  Receiving b(dir, "logs", out);
  // No path: the exporter sends to /v1/logs.
  const std::string endpoint = protocol == "grpc" ? "http://127.0.0.1:" + std::to_string(b.grpc_port)
                                                  : "http://127.0.0.1:" + std::to_string(b.http_port);
  const std::string settings = processor == "batch" ? "            schedule_delay: 100\n" : "";
  WriteFile(dir / "a.yaml",
            std::string("receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0\n") +
                "exporters:\n  debug:\n"
                "service:\n  telemetry:\n    resource:\n      deployment.environment: e2e\n"
                "    metrics:\n      level: none\n"
                "    logs:\n      processors:\n        - " +
                processor + ":\n" + settings +
                "            exporter:\n              otlp:\n                protocol: " + protocol +
                "\n                endpoint: " + endpoint +
                "\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n");
  Process a({kOtlpd, "--config", (dir / "a.yaml").string()}, dir / "a.log");
  const int port_a = LoggedPort(a, "OTLP/gRPC listening on");
  REQUIRE(port_a != 0);
  const bool arrived = WaitFor([&] { return AnyContains(ReadLogs(out).bodies, "everything is ready"); },
                               std::chrono::seconds(30));
  INFO(a.Output());
  INFO(b.process.Output());
  REQUIRE(arrived);
  a.Signal(SIGTERM);
  CHECK(a.Wait(std::chrono::seconds(30)) == 0);
  // Logged during shutdown, exported before otlpd exits.
  CHECK(
      WaitFor([&] { return AnyContains(ReadLogs(out).bodies, "shutting down"); }, std::chrono::seconds(10)));
  const SeenLogs seen = ReadLogs(out);
  CHECK(seen.severities.count(9) == 1);  // SEVERITY_NUMBER_INFO
  CHECK(seen.severity_texts.count("info") == 1);
  CHECK(seen.resource.at("service.name") == "otlpd");
  CHECK(seen.resource.at("deployment.environment") == "e2e");
  b.process.Signal(SIGTERM);
  CHECK(b.process.Wait(std::chrono::seconds(30)) == 0);
}
