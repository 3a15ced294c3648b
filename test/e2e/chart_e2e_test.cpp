// Issue 17's chart end to end: the collector the Helm chart renders with its
// internalTelemetryViaOTLP overlay and a profiles pipeline, run as a real
// otlpd (A) with the chart's own args. test/deploy/run_chart_e2e.py renders
// the chart, writes the config and args into $OTLPD_CHART_E2E_DIR and sets
// the pod's env; this starts a second otlpd (B, the gateway) and points A's
// two gateway variables at it. Profiles sent to A over gRPC must reach B
// through A's profiles pipeline, and A's own metrics and logs, pushed over
// OTLP/HTTP, must reach B too. Run without the driver it fails.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.grpc.pb.h"
#include "test/support/process.h"
#include "test/support/profiles_request.h"
#include "test/support/proto_file.h"
#include "test/support/sink.h"

using namespace otlpd::test;
namespace logspb = opentelemetry::proto::collector::logs::v1;
namespace metricspb = opentelemetry::proto::collector::metrics::v1;
namespace profilespb = opentelemetry::proto::collector::profiles::v1development;

namespace {

const std::string kOtlpd = OTLPD_BINARY;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// The rendered container's argv (otlpd first), one per line.
std::vector<std::string> ChartArgs(const std::filesystem::path& dir) {
  std::ifstream in(dir / "args");
  std::vector<std::string> args;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) args.push_back(line);
  }
  return args;
}

using Attributes = std::map<std::string, std::string>;

Attributes ToMap(const google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>& kvs) {
  Attributes out;
  for (const auto& kv : kvs) out[kv.key()] = kv.value().string_value();
  return out;
}

struct ProfilesSeen {
  int samples = 0;
  Attributes resource;  // of the last resource
};

ProfilesSeen ReadProfiles(const std::filesystem::path& path) {
  ProfilesSeen seen;
  for (const auto& req :
       ParseProtoRecords<profilespb::ExportProfilesServiceRequest>(ReadProtoRecords(path))) {
    for (const auto& rp : req.resource_profiles()) {
      seen.resource = ToMap(rp.resource().attributes());
      for (const auto& sp : rp.scope_profiles()) {
        for (const auto& p : sp.profiles()) seen.samples += p.samples_size();
      }
    }
  }
  return seen;
}

struct MetricsSeen {
  std::map<std::string, double> sums;  // "name{label}" and "name" -> largest value seen
  Attributes resource;
};

MetricsSeen ReadMetrics(const std::filesystem::path& path) {
  MetricsSeen seen;
  for (const auto& req : ParseProtoRecords<metricspb::ExportMetricsServiceRequest>(ReadProtoRecords(path))) {
    for (const auto& rm : req.resource_metrics()) {
      seen.resource = ToMap(rm.resource().attributes());
      for (const auto& sm : rm.scope_metrics()) {
        for (const auto& m : sm.metrics()) {
          if (!m.has_sum()) continue;
          for (const auto& p : m.sum().data_points()) {
            const double v = p.has_as_int() ? static_cast<double>(p.as_int()) : p.as_double();
            seen.sums[m.name()] = std::max(seen.sums[m.name()], v);
            for (const auto& kv : p.attributes()) {
              const std::string key = m.name() + "{" + kv.value().string_value() + "}";
              seen.sums[key] = std::max(seen.sums[key], v);
            }
          }
        }
      }
    }
  }
  return seen;
}

bool LogsContain(const std::filesystem::path& path, const std::string& part) {
  for (const auto& req : ParseProtoRecords<logspb::ExportLogsServiceRequest>(ReadProtoRecords(path))) {
    for (const auto& rl : req.resource_logs()) {
      for (const auto& sl : rl.scope_logs()) {
        for (const auto& r : sl.log_records()) {
          if (r.body().string_value().find(part) != std::string::npos) return true;
        }
      }
    }
  }
  return false;
}

}  // namespace

TEST_CASE("the chart's collector with internalTelemetryViaOTLP and a profiles pipeline, end to end") {
  const std::string chart_dir = Env("OTLPD_CHART_E2E_DIR");
  INFO("run by test/deploy/run_chart_e2e.py, which sets OTLPD_CHART_E2E_DIR");
  REQUIRE_FALSE(chart_dir.empty());
  const std::vector<std::string> args = ChartArgs(chart_dir);
  REQUIRE(args.size() >= 3);
  REQUIRE_FALSE(Env("K8S_NODE_NAME").empty());
  REQUIRE_FALSE(Env("K8S_POD_NAME").empty());

  // B: the gateway, writing what it receives.
  TempDir dir;
  WriteFile(dir / "b.yaml",
            "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0\n"
            "      http:\n        endpoint: 127.0.0.1:0\n"
            "exporters:\n"
            "  file/profiles:\n    path: " +
                (dir / "profiles.pb").string() +
                "\n    format: proto\n    flush_interval: 20ms\n"
                "  file/metrics:\n    path: " +
                (dir / "metrics.pb").string() +
                "\n    format: proto\n    flush_interval: 20ms\n"
                "  file/logs:\n    path: " +
                (dir / "logs.pb").string() +
                "\n    format: proto\n    flush_interval: 20ms\n"
                "service:\n  telemetry:\n    metrics:\n      level: none\n  pipelines:\n"
                "    profiles:\n      receivers: [otlp]\n      exporters: [file/profiles]\n"
                "    metrics:\n      receivers: [otlp]\n      exporters: [file/metrics]\n"
                "    logs:\n      receivers: [otlp]\n      exporters: [file/logs]\n");
  Process b({kOtlpd, "--config", (dir / "b.yaml").string(), "--feature-gates=service.profilesSupport"},
            dir / "b.log");
  const int b_grpc = LoggedPort(b, "OTLP/gRPC listening on");
  const int b_http = LoggedPort(b, "OTLP/HTTP listening on");
  INFO(b.Output());
  REQUIRE(b_grpc != 0);
  REQUIRE(b_http != 0);

  // A: the chart's collector, its gateway variables (extraEnvs in the chart) pointing at B.
  Process a(args, dir / "a.log",
            {"PROFILES_GATEWAY=127.0.0.1:" + std::to_string(b_grpc),
             "OTLP_TELEMETRY_ENDPOINT=http://127.0.0.1:" + std::to_string(b_http)});
  const int a_grpc = LoggedPort(a, "OTLP/gRPC listening on");
  INFO(a.Output());
  REQUIRE(a_grpc != 0);

  const profilespb::ExportProfilesServiceRequest request = ProfilesRequest();
  auto stub = profilespb::ProfilesService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(a_grpc), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  profilespb::ExportProfilesServiceResponse response;
  const grpc::Status sent = stub->Export(&ctx, request, &response);
  INFO(sent.error_message());
  REQUIRE(sent.ok());

  // The profiles pipeline: memory_limiter, resource (the chart's k8s.node.name), otlp/gateway.
  const bool profiles_arrived =
      WaitFor([&] { return ReadProfiles(dir / "profiles.pb").samples >= 3; }, std::chrono::seconds(30));
  INFO(a.Output());
  INFO(b.Output());
  REQUIRE(profiles_arrived);
  ProfilesSeen profiles = ReadProfiles(dir / "profiles.pb");
  CHECK(profiles.samples == 3);
  CHECK(profiles.resource["service.name"] == "svc");
  CHECK(profiles.resource["k8s.node.name"] == Env("K8S_NODE_NAME"));

  // A's periodic reader pushes every 30 s, and once more when it stops; its
  // log processor flushes at shutdown too. So stop A, then look.
  a.Signal(SIGTERM);
  CHECK(a.Wait(std::chrono::seconds(60)) == 0);
  const bool metrics_arrived = WaitFor(
      [&] {
        return ReadMetrics(dir / "metrics.pb").sums["otelcol_exporter_sent_profile_samples{otlp/gateway}"] >=
               3;
      },
      std::chrono::seconds(30));
  MetricsSeen metrics = ReadMetrics(dir / "metrics.pb");
  std::string seen_names;
  for (const auto& [name, value] : metrics.sums) seen_names += name + "=" + std::to_string(value) + " ";
  INFO("sums at the gateway: " << seen_names);
  INFO(a.Output());
  REQUIRE(metrics_arrived);
  CHECK(metrics.sums["otelcol_receiver_accepted_profile_samples{otlp}"] == 3);
  CHECK(metrics.sums.count("otelcol_process_uptime") == 1);
  // service.telemetry.resource of the overlay, from the pod's env.
  CHECK(metrics.resource["service.name"] == "otlpd");
  CHECK(metrics.resource["k8s.pod.name"] == Env("K8S_POD_NAME"));
  CHECK(metrics.resource["k8s.node.name"] == Env("K8S_NODE_NAME"));
  CHECK(metrics.resource["k8s.namespace.name"] == Env("K8S_NAMESPACE"));
  // And A's own logs, exported at shutdown at the latest.
  CHECK(
      WaitFor([&] { return LogsContain(dir / "logs.pb", "everything is ready"); }, std::chrono::seconds(30)));

  b.Signal(SIGTERM);
  CHECK(b.Wait(std::chrono::seconds(30)) == 0);
}
