// End-to-end tests of the real otlpd binary: flags, validate, and a shutdown
// under traffic that must not lose anything it acknowledged.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <set>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/support/process.h"
#include "test/support/proto_file.h"
#include "test/support/sink.h"

using namespace otlpd::test;
using Catch::Matchers::Contains;
namespace tracepb = opentelemetry::proto::collector::trace::v1;

namespace {

const std::string kOtlpd = OTLPD_BINARY;

struct RunResult {
  int code;
  std::string output;
};

RunResult Run(std::vector<std::string> args, const TempDir& dir) {
  args.insert(args.begin(), kOtlpd);
  Process p(args, dir / "out.log");
  auto code = p.Wait(std::chrono::seconds(30));
  return RunResult{code.value_or(-1), p.Output()};
}

RunResult Validate(const std::string& yaml) {
  TempDir dir;
  WriteFile(dir / "c.yaml", yaml);
  return Run({"validate", "--config", (dir / "c.yaml").string()}, dir);
}

std::string FileConfig(int port, const std::string& path) {
  return "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:" +
         std::to_string(port) + "\nexporters:\n  file:\n    path: " + path +
         "\n    format: proto\n    flush_interval: 50ms\n"
         "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [file]\n";
}

// The requests of a format: proto file the exporter has finished: every
// record must parse and none may be cut off.
std::vector<tracepb::ExportTraceServiceRequest> ReadProtoFile(const std::filesystem::path& path) {
  const ProtoRecords file = ReadProtoRecords(path);
  int bad = 0;
  auto out = ParseProtoRecords<tracepb::ExportTraceServiceRequest>(file, &bad);
  REQUIRE(bad == 0);
  CHECK(file.complete);  // no half record
  return out;
}

}  // namespace

TEST_CASE("otlpd --version and components") {
  TempDir dir;
  auto v = Run({"--version"}, dir);
  CHECK(v.code == 0);
  CHECK_THAT(v.output, Contains("otlpd version"));
  auto c = Run({"components"}, dir);
  CHECK(c.code == 0);
  CHECK_THAT(c.output,
             Contains("receivers:") && Contains("- otlp") && Contains("- debug") && Contains("- file"));
  auto bad = Run({"--frobnicate"}, dir);
  CHECK(bad.code == 2);
  CHECK_THAT(bad.output, Contains("unknown argument: --frobnicate"));
}

TEST_CASE("otlpd validate accepts a config using every foundation feature") {
  ::setenv("OTLPD_E2E_PORT", "4999", 1);
  auto r = Validate(R"(
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${env:OTLPD_E2E_PORT}
        max_recv_msg_size_mib: 16
        include_metadata: true
  otlp/second:
    protocols:
      grpc:
        endpoint: ${env:OTLPD_E2E_UNSET_HOST:-localhost}:4998
exporters:
  debug:
    verbosity: detailed
    sampling_initial: 5
    sampling_thereafter: 200
  file/json:
    path: /tmp/otlpd-validate-only.json
    flush_interval: 2s
  file/proto:
    path: /tmp/otlpd-validate-only.pb
    format: proto
    append: true
service:
  telemetry:
    logs:
      level: debug
  pipelines:
    traces:
      receivers: [otlp, otlp/second]
      exporters: [debug, file/json]
    metrics/a:
      receivers: [otlp]
      exporters: [file/proto]
    logs:
      receivers: [otlp]
      exporters: [debug]
)");
  CHECK(r.output == "otlpd: configuration is valid\n");
  CHECK(r.code == 0);
}

TEST_CASE("otlpd validate rejects bad configs with file:line:col and key path") {
  const std::string pipelines =
      "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n";
  const std::string receivers = "receivers:\n  otlp:\n    protocols:\n      grpc:\n";
  struct Case {
    std::string yaml;
    std::vector<std::string> expect;
  };
  std::vector<Case> cases = {
      {receivers + "exporters:\n  debug:\n    verbosty: basic\n" + pipelines,
       {"c.yaml:7:5", "exporters.debug", "verbosty"}},
      {receivers + "exporters:\n  debug:\n  file:\n    path: /tmp/x\n    flush_interval: soon\n" + pipelines,
       {"c.yaml:9:21", "exporters.file.flush_interval"}},
      {receivers + "exporters:\n  debug:\n    sampling_initial: [1]\n" + pipelines,
       {"c.yaml:7:", "exporters.debug.sampling_initial"}},
      {receivers + "exporters:\n  debug:\n" +
           "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug, file]\n",
       {"c.yaml:11:", "service.pipelines.traces.exporters[1]", "not configured"}},
      {receivers + "exporters:\n  debug:\n  kafka:\n" + pipelines,
       {"c.yaml:7:3", "exporters.kafka", "unknown exporter type"}},
      {receivers + "exporters:\n  debug:\nservice:\n  pipelines:\n    traces:\n      receivers: [otlp]\n",
       {"c.yaml:", "service.pipelines.traces", "exporter"}},
      {receivers + "exporters:\n  debug:\nconnectors:\n  forward:\n" +
           "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug, "
           "forward]\n",
       {"c.yaml:13:26", "service.pipelines.traces.exporters[1]",
        "not used in any supported receiver pipeline"}},
      {receivers + "exporters:\n  debug:\n" +
           "service:\n  pipelines:\n    spans:\n      receivers: [otlp]\n      exporters: [debug]\n",
       {"c.yaml:", "service.pipelines", "spans"}},
      {"receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: [1, 2\n",
       {"c.yaml:6:1", "invalid YAML"}},
  };
  for (const auto& c : cases) {
    auto r = Validate(c.yaml);
    INFO(c.yaml);
    INFO(r.output);
    CHECK(r.code == 1);
    for (const auto& e : c.expect) CHECK_THAT(r.output, Contains(e));
  }
}

TEST_CASE("otlpd merges --config files and applies --set last") {
  TempDir dir;
  WriteFile(dir / "a.yaml", FileConfig(1, (dir / "a.out").string()));
  WriteFile(dir / "b.yaml", "exporters:\n  file:\n    flush_interval: wrong\n");
  auto r =
      Run({"validate", "--config", (dir / "a.yaml").string(), "--config=" + (dir / "b.yaml").string()}, dir);
  CHECK(r.code == 1);
  CHECK_THAT(r.output, Contains("b.yaml:3:") && Contains("exporters.file.flush_interval"));
  auto fixed = Run({"validate", "--config", (dir / "a.yaml").string(), "--config", (dir / "b.yaml").string(),
                    "--set", "exporters.file.flush_interval=3s"},
                   dir);
  CHECK(fixed.code == 0);
}

TEST_CASE("otlpd print-config prints the merged config with defaults, secrets redacted") {
  ::setenv("OTLPD_E2E_TOKEN", "e2e-s3cret", 1);
  TempDir dir;
  WriteFile(dir / "a.yaml",
            "receivers: {otlp: {protocols: {grpc: {endpoint: \"0.0.0.0:4317\"}}}}\n"
            "processors: {batch: {}}\n"
            "exporters:\n  otlp:\n    endpoint: backend:4317\n"
            "    headers: {Authorization: \"Bearer ${env:OTLPD_E2E_TOKEN}\"}\n"
            "service: {pipelines: {traces: {receivers: [otlp], processors: [batch], exporters: [otlp]}}}\n");
  WriteFile(dir / "b.yaml", "processors: {batch: {send_batch_size: 100}}\n");
  const std::vector<std::string> configs = {"print-config",
                                            "--config",
                                            (dir / "a.yaml").string(),
                                            "--config",
                                            (dir / "b.yaml").string(),
                                            "--set",
                                            "exporters.otlp.timeout=7s"};
  auto redacted = Run(configs, dir);
  CHECK(redacted.code == 0);
  // Merged, --set applied, defaults filled in (otelcol's), sorted keys, 4-space indent as otelcol's.
  CHECK_THAT(redacted.output, Contains("processors:\n    batch:\n") && Contains("send_batch_size: 100\n") &&
                                  Contains("timeout: 200ms\n") && Contains("timeout: 7s\n") &&
                                  Contains("queue_size: 1000\n") && Contains("initial_interval: 5s\n"));
  // Quoted as go-yaml quotes it (single quotes: '[' is a flow indicator), lists as otelcol lays them out.
  CHECK_THAT(redacted.output, Contains("Authorization: '[REDACTED]'"));
  CHECK_THAT(redacted.output, Contains("            processors:\n                - batch\n"));
  CHECK_THAT(redacted.output, !Contains("e2e-s3cret"));

  auto args = configs;
  args.insert(args.end(), {"--mode", "UNREDACTED", "--format=json"});
  auto shown = Run(args, dir);
  CHECK(shown.code == 0);
  CHECK_THAT(shown.output,
             Contains("\"Authorization\": \"Bearer e2e-s3cret\"") && Contains("\"send_batch_size\": 100,"));

  // Alias, and the errors otelcol gives.
  CHECK(Run({"print-initial-config", "--config", (dir / "a.yaml").string()}, dir).code == 0);
  auto bad_mode = Run({"print-config", "--config", (dir / "a.yaml").string(), "--mode", "bogus"}, dir);
  CHECK(bad_mode.code != 0);
  CHECK_THAT(bad_mode.output, Contains("invalid mode \"bogus\": modes are: redacted, unredacted"));
  auto bad_format = Run({"print-config", "--config", (dir / "a.yaml").string(), "--format", "xml"}, dir);
  CHECK(bad_format.code != 0);
  CHECK_THAT(bad_format.output, Contains("unrecognized print format: xml"));
  CHECK(Run({"validate", "--config", (dir / "a.yaml").string(), "--mode", "redacted"}, dir).code != 0);
  // An invalid config is an error, and nothing of it is printed.
  WriteFile(dir / "bad.yaml", "processors: {batch: {timeout: soon}}\n");
  auto invalid = Run(
      {"print-config", "--config", (dir / "a.yaml").string(), "--config", (dir / "bad.yaml").string()}, dir);
  CHECK(invalid.code == 1);
  CHECK_THAT(invalid.output, Contains("processors.batch.timeout") && !Contains("e2e-s3cret"));
}

TEST_CASE("otlpd refuses --feature-gates it does not know, as otelcol does") {
  TempDir dir;
  auto unknown = Run({"validate", "--feature-gates=service.profileSupport"}, dir);
  CHECK(unknown.code != 0);
  CHECK_THAT(unknown.output, Contains("no such feature gate \"service.profileSupport\". valid gates: ["));
  CHECK(Run({"validate", "--feature-gates=+service.profilesSupport,telemetry.newPipelineTelemetry"}, dir)
            .code == 0);
}

TEST_CASE("SIGTERM under traffic loses nothing that was acknowledged") {
  TempDir dir;
  auto out = dir / "spans.pb";
  WriteFile(dir / "c.yaml", FileConfig(0, out.string()));
  Process otlpd({kOtlpd, "--config", (dir / "c.yaml").string()}, dir / "otlpd.log");
  const int port = LoggedPort(otlpd, "OTLP/gRPC listening on");
  INFO(otlpd.Output());
  REQUIRE(port != 0);

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  std::mutex mu;
  std::set<std::string> acked;
  std::atomic<int> refused{0};
  std::atomic<bool> stop{false};
  std::atomic<std::uint32_t> next_id{1};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      auto stub = tracepb::TraceService::NewStub(channel);
      while (!stop) {
        tracepb::ExportTraceServiceRequest req;
        auto* ss = req.add_resource_spans()->add_scope_spans();
        std::vector<std::string> ids;
        for (int i = 0; i < 10; ++i) {
          std::uint32_t id = next_id++;
          std::string span_id(8, '\0');
          std::memcpy(span_id.data(), &id, 4);
          auto* s = ss->add_spans();
          s->set_trace_id(std::string(16, '\x01'));
          s->set_span_id(span_id);
          s->set_name("work");
          ids.push_back(span_id);
        }
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        tracepb::ExportTraceServiceResponse resp;
        if (stub->Export(&ctx, req, &resp).ok()) {
          std::lock_guard<std::mutex> l(mu);
          acked.insert(ids.begin(), ids.end());
        } else {
          ++refused;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
    });
  }
  REQUIRE(WaitFor([&] {
    std::lock_guard<std::mutex> l(mu);
    return acked.size() >= 2000;
  }));
  otlpd.Signal(SIGTERM);
  auto code = otlpd.Wait(std::chrono::seconds(30));
  stop = true;
  for (auto& c : clients) c.join();
  INFO(otlpd.Output());
  REQUIRE(code.has_value());
  CHECK(*code == 0);

  std::set<std::string> written;
  for (const auto& req : ReadProtoFile(out)) {
    for (const auto& rs : req.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& s : ss.spans()) written.insert(s.span_id());
      }
    }
  }
  std::size_t missing = 0;
  for (const auto& id : acked) missing += written.count(id) == 0;
  INFO("acked " << acked.size() << ", written " << written.size() << ", refused calls " << refused.load());
  CHECK(acked.size() >= 2000);
  CHECK(missing == 0);
  CHECK_THAT(otlpd.Output(), Contains("shutdown complete"));
}

TEST_CASE("350 one-span requests leave batch 100/100 as at most 8 requests, none lost or duplicated") {
  TempDir dir;
  auto out = dir / "batched.pb";
  WriteFile(dir / "c.yaml",
            "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0\nprocessors:\n  "
            "batch:\n    send_batch_size: 100\n    send_batch_max_size: 100\n"
            "    timeout: 5s\nexporters:\n  file:\n    path: " +
                out.string() +
                "\n    format: proto\n    flush_interval: 50ms\n"
                "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n"
                "      processors: [batch]\n      exporters: [file]\n");
  Process otlpd({kOtlpd, "--config", (dir / "c.yaml").string()}, dir / "otlpd.log");
  const int port = LoggedPort(otlpd, "OTLP/gRPC listening on");
  INFO(otlpd.Output());
  REQUIRE(port != 0);
  auto stub = tracepb::TraceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  for (std::uint32_t i = 1; i <= 350; ++i) {
    tracepb::ExportTraceServiceRequest req;
    auto* s = req.add_resource_spans()->add_scope_spans()->add_spans();
    s->set_trace_id(std::string(16, '\x02'));
    std::string span_id(8, '\0');
    std::memcpy(span_id.data(), &i, 4);
    s->set_span_id(span_id);
    s->set_name("one");
    grpc::ClientContext ctx;
    tracepb::ExportTraceServiceResponse resp;
    REQUIRE(stub->Export(&ctx, req, &resp).ok());
  }
  otlpd.Signal(SIGTERM);  // the last partial batch is flushed on shutdown
  auto code = otlpd.Wait(std::chrono::seconds(30));
  INFO(otlpd.Output());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  auto requests = ReadProtoFile(out);
  CHECK(requests.size() <= 8);
  std::multiset<std::string> ids;
  for (const auto& req : requests) {
    std::size_t n = 0;
    for (const auto& rs : req.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& s : ss.spans()) {
          ids.insert(s.span_id());
          ++n;
        }
      }
    }
    CHECK(n <= 100);
  }
  CHECK(ids.size() == 350);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 350);
}
