// End-to-end tests of config reload (SIGHUP, --watch-config), health_check,
// self-telemetry and log settings, driving the real otlpd binary.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <mutex>
#include <set>
#include <sstream>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/service/telemetry/http_get.h"
#include "test/support/process.h"
#include "test/support/proto_file.h"
#include "test/support/sink.h"

using namespace otlpd::test;
using Catch::Matchers::Contains;
namespace tracepb = opentelemetry::proto::collector::trace::v1;

namespace {

const std::string kBinary = OTLPD_BINARY;

// 0: the first start binds a free port and logs it.
struct Ports {
  int otlp = 0;
  int health = 0;
  int metrics = 0;
};

// The ports `p` logged it bound; a port it did not log stays 0.
Ports LoggedPorts(Process& p) {
  return Ports{LoggedPort(p, "OTLP/gRPC listening on"), LoggedPort(p, "health check listening on"),
               LoggedPort(p, "serving internal metrics on")};
}

// otlp (gRPC) -> batch -> file (proto), with health_check and a Prometheus
// reader on `p`'s ports. `extra_exporter` goes under exporters.file verbatim.
std::string Config(const Ports& p, const std::filesystem::path& out, const std::string& extra_exporter = "") {
  return "extensions:\n  health_check:\n    endpoint: 127.0.0.1:" + std::to_string(p.health) +
         "\nreceivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:" +
         std::to_string(p.otlp) +
         "\nprocessors:\n  batch:\n    timeout: 200ms\n"
         "exporters:\n  file:\n    path: " +
         out.string() + "\n    format: proto\n    flush_interval: 50ms\n" + extra_exporter +
         "service:\n  extensions: [health_check]\n"
         "  telemetry:\n    metrics:\n      readers:\n        - pull:\n            exporter:\n"
         "              prometheus:\n                host: 127.0.0.1\n                port: " +
         std::to_string(p.metrics) +
         "\n  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: "
         "[file]\n";
}

// Replaces the file in one step, as editors and ConfigMap updates do, so a
// watcher never reads half of it.
void ReplaceFile(const std::filesystem::path& p, const std::string& text) {
  WriteFile(p.string() + ".tmp", text);
  std::filesystem::rename(p.string() + ".tmp", p);
}

bool WaitForLog(Process& p, const std::string& text, int count = 1) {
  return WaitFor(
      [&] {
        const std::string out = p.Output();
        int seen = 0;
        for (auto pos = out.find(text); pos != std::string::npos; pos = out.find(text, pos + 1)) ++seen;
        return seen >= count;
      },
      std::chrono::seconds(30));
}

bool WaitForHealthy(const Ports& ports, Process& p) {
  return WaitFor(
             [&] {
               p.Wait(std::chrono::milliseconds(0));
               return !p.running() || HttpGet(ports.health, "/").status == 200;
             },
             std::chrono::seconds(30)) &&
         p.running();
}

std::string SpanId(std::uint32_t id) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &id, 4);
  return s;
}

tracepb::ExportTraceServiceRequest Request(std::uint32_t first, int n) {
  tracepb::ExportTraceServiceRequest req;
  auto* ss = req.add_resource_spans()->add_scope_spans();
  for (int i = 0; i < n; ++i) {
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, '\x01'));
    s->set_span_id(SpanId(first + static_cast<std::uint32_t>(i)));
    s->set_name("work");
  }
  return req;
}

// Sends until acknowledged, as an SDK retries UNAVAILABLE: during a reload the
// receiver is briefly down and nothing acknowledged may be lost.
bool SendUntilAcked(tracepb::TraceService::Stub& stub, const tracepb::ExportTraceServiceRequest& req,
                    std::chrono::seconds patience = std::chrono::seconds(30)) {
  const auto give_up = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < give_up) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    tracepb::ExportTraceServiceResponse resp;
    if (stub.Export(&ctx, req, &resp).ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::unique_ptr<tracepb::TraceService::Stub> Stub(int port) {
  return tracepb::TraceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
}

// The span ids in a `format: proto` file. The exporter may still be writing
// it: a record cut off at the end is not counted (yet).
std::multiset<std::string> SpanIdsIn(const std::filesystem::path& path) {
  std::multiset<std::string> out;
  for (const auto& req : ParseProtoRecords<tracepb::ExportTraceServiceRequest>(ReadProtoRecords(path))) {
    for (const auto& rs : req.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& s : ss.spans()) out.insert(s.span_id());
      }
    }
  }
  return out;
}

double MetricValue(const std::string& page, const std::string& name) {
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + "{", 0) == 0) return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

}  // namespace

TEST_CASE("SIGHUP with a changed file exporter path sends later data to the new file and loses none") {
  TempDir dir;
  const auto config = dir / "c.yaml", first = dir / "first.pb", second = dir / "second.pb";
  WriteFile(config, Config(Ports{}, first));
  Process otlpd({kBinary, "--config", config.string()}, dir / "otlpd.log");
  // The reloaded config names the ports the first start bound.
  const Ports ports = LoggedPorts(otlpd);
  INFO(otlpd.Output());
  REQUIRE(ports.otlp != 0);
  REQUIRE(ports.health != 0);
  REQUIRE(ports.metrics != 0);
  REQUIRE(WaitForHealthy(ports, otlpd));

  // Clients keep sending through the reload, each request until acknowledged.
  std::mutex mu;
  std::set<std::string> acked;
  std::atomic<bool> stop{false};
  std::atomic<bool> lost{false};
  std::atomic<std::uint32_t> next_id{1};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&] {
      auto stub = Stub(ports.otlp);
      while (!stop) {
        const std::uint32_t id = next_id.fetch_add(10);
        if (!SendUntilAcked(*stub, Request(id, 10))) {
          lost = true;
          return;
        }
        std::lock_guard<std::mutex> l(mu);
        for (std::uint32_t i = id; i < id + 10; ++i) acked.insert(SpanId(i));
      }
    });
  }
  auto acked_count = [&] {
    std::lock_guard<std::mutex> l(mu);
    return acked.size();
  };
  REQUIRE(WaitFor([&] { return acked_count() >= 1000; }, std::chrono::seconds(30)));

  WriteFile(config, Config(ports, second));
  otlpd.Signal(SIGHUP);
  REQUIRE(WaitForLog(otlpd, "configuration reloaded"));
  const std::size_t at_reload = acked_count();
  REQUIRE(WaitFor([&] { return acked_count() >= at_reload + 1000; }, std::chrono::seconds(30)));

  // Sent after the reload: only the new file may have it.
  auto stub = Stub(ports.otlp);
  constexpr std::uint32_t kLate = 0x70000000;
  REQUIRE(SendUntilAcked(*stub, Request(kLate, 50)));
  CHECK(HttpGet(ports.health, "/").status == 200);

  stop = true;
  for (auto& c : clients) c.join();
  CHECK_FALSE(lost);

  // The counters carried over the reload: the new Service alone saw less.
  std::string page;
  REQUIRE(WaitFor([&] {
    page = HttpGet(ports.metrics, "/metrics").body;
    return MetricValue(page, "otelcol_exporter_sent_spans") >= static_cast<double>(acked_count() + 50);
  }));
  CHECK(MetricValue(page, "otelcol_receiver_accepted_spans") >= static_cast<double>(acked_count() + 50));

  otlpd.Signal(SIGTERM);
  auto code = otlpd.Wait(std::chrono::seconds(30));
  REQUIRE(code.has_value());
  CHECK(*code == 0);

  INFO(otlpd.Output());
  const auto in_first = SpanIdsIn(first), in_second = SpanIdsIn(second);
  std::size_t missing = 0;
  for (const auto& id : acked) missing += in_first.count(id) + in_second.count(id) == 0;
  INFO("acked " << acked.size() << ", first file " << in_first.size() << ", second file "
                << in_second.size());
  CHECK(missing == 0);
  CHECK(in_first.size() >= 1000);
  CHECK(in_second.size() >= 1000);
  for (std::uint32_t i = kLate; i < kLate + 50; ++i) {
    CHECK(in_second.count(SpanId(i)) == 1);
    CHECK(in_first.count(SpanId(i)) == 0);
  }
}

TEST_CASE("SIGHUP with a broken config keeps the old pipelines; one that cannot start falls back") {
  TempDir dir;
  const auto config = dir / "c.yaml", out = dir / "out.pb";
  // append: the fallback reopens the same file, which would otherwise start it afresh.
  const std::string append = "    append: true\n";
  WriteFile(config, Config(Ports{}, out, append));
  Process otlpd({kBinary, "--config", config.string()}, dir / "otlpd.log");
  const Ports ports = LoggedPorts(otlpd);
  INFO(otlpd.Output());
  REQUIRE(ports.otlp != 0);
  REQUIRE(ports.health != 0);
  REQUIRE(ports.metrics != 0);
  // The fallback below starts the running config again: it names the bound ports.
  WriteFile(config, Config(ports, out, append));
  otlpd.Signal(SIGHUP);
  REQUIRE(WaitForLog(otlpd, "configuration reloaded"));
  REQUIRE(WaitForHealthy(ports, otlpd));
  auto stub = Stub(ports.otlp);
  REQUIRE(SendUntilAcked(*stub, Request(1, 10)));

  // Invalid: rejected before anything stops.
  std::string bad = Config(ports, dir / "never.pb", append);
  bad.replace(bad.find("flush_interval: 50ms"), std::strlen("flush_interval: 50ms"), "flush_interval: soon");
  WriteFile(config, bad);
  otlpd.Signal(SIGHUP);
  REQUIRE(WaitForLog(otlpd, "reload rejected"));
  CHECK_THAT(otlpd.Output(), Contains("c.yaml:16:21") && Contains("exporters.file.flush_interval"));
  CHECK(HttpGet(ports.health, "/").status == 200);
  REQUIRE(SendUntilAcked(*stub, Request(100, 10), std::chrono::seconds(1)));

  // Invalid telemetry settings name their key path too.
  std::string bad_level = Config(ports, dir / "never.pb", append);
  bad_level.replace(bad_level.find("      readers:"), 0, "      level: loud\n");
  WriteFile(config, bad_level);
  otlpd.Signal(SIGHUP);
  REQUIRE(WaitForLog(otlpd, "reload rejected", 2));
  CHECK_THAT(otlpd.Output(), Contains("service.telemetry.metrics.level"));

  // Valid, but the file cannot be opened: the previous config runs again.
  WriteFile(config, Config(ports, dir / "no" / "such" / "dir.pb", append));
  otlpd.Signal(SIGHUP);
  REQUIRE(WaitForLog(otlpd, "running the previous configuration again"));
  CHECK(WaitForHealthy(ports, otlpd));
  REQUIRE(SendUntilAcked(*stub, Request(200, 10)));

  otlpd.Signal(SIGTERM);
  REQUIRE(otlpd.Wait(std::chrono::seconds(30)) == std::optional<int>(0));
  INFO(otlpd.Output());
  const auto ids = SpanIdsIn(out);
  for (std::uint32_t first : {1u, 100u, 200u}) {
    for (std::uint32_t i = first; i < first + 10; ++i) CHECK(ids.count(SpanId(i)) >= 1);
  }
  CHECK_FALSE(std::filesystem::exists(dir / "never.pb"));
}

TEST_CASE("--watch-config reloads when the config file changes; logs can be JSON in a file") {
  TempDir dir;
  const auto config = dir / "c.yaml", first = dir / "first.pb", second = dir / "second.pb",
             log = dir / "otlpd.json";
  const std::string logs = "  telemetry:\n    logs:\n      encoding: json\n      output_paths: [" +
                           log.string() + "]\n    metrics:\n";
  auto with_json_logs = [&](std::string yaml) {
    yaml.replace(yaml.find("  telemetry:\n    metrics:\n"), std::strlen("  telemetry:\n    metrics:\n"),
                 logs);
    return yaml;
  };
  WriteFile(config, with_json_logs(Config(Ports{}, first)));
  Process otlpd({kBinary, "--config", config.string(), "--watch-config"}, dir / "stderr.log");
  auto log_text = [&] {
    std::ifstream in(log);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  // The ports are in the JSON log.
  auto alive = [&] {
    otlpd.Wait(std::chrono::milliseconds(0));
    return otlpd.running();
  };
  const Ports ports{LoggedPortIn(log_text, alive, "OTLP/gRPC listening on"),
                    LoggedPortIn(log_text, alive, "health check listening on"),
                    LoggedPortIn(log_text, alive, "serving internal metrics on")};
  INFO(otlpd.Output());
  REQUIRE(ports.otlp != 0);
  REQUIRE(ports.health != 0);
  REQUIRE(ports.metrics != 0);
  REQUIRE(WaitForHealthy(ports, otlpd));
  auto stub = Stub(ports.otlp);
  REQUIRE(SendUntilAcked(*stub, Request(1, 10)));

  ReplaceFile(config, with_json_logs(Config(ports, second)));
  REQUIRE(WaitFor([&] { return log_text().find("configuration reloaded") != std::string::npos; },
                  std::chrono::seconds(30)));
  REQUIRE(SendUntilAcked(*stub, Request(100, 10)));

  otlpd.Signal(SIGTERM);
  REQUIRE(otlpd.Wait(std::chrono::seconds(30)) == std::optional<int>(0));
  const auto in_first = SpanIdsIn(first), in_second = SpanIdsIn(second);
  for (std::uint32_t i = 1; i < 11; ++i) CHECK(in_first.count(SpanId(i)) == 1);
  for (std::uint32_t i = 100; i < 110; ++i) CHECK(in_second.count(SpanId(i)) == 1);

  // Every line the file got is one JSON object; the reload reason is in one.
  std::istringstream lines(log_text());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    INFO(line);
    CHECK(line.rfind("{\"level\":\"", 0) == 0);
    CHECK(line.back() == '}');
    CHECK(line.find("\"msg\":\"") != std::string::npos);
    ++count;
  }
  CHECK(count >= 3);
  CHECK_THAT(log_text(), Contains("a config file changed: reloading the configuration"));
}

TEST_CASE("otlpd validate names the key path of a bad service.telemetry setting") {
  TempDir dir;
  std::string yaml = Config(Ports{}, dir / "x.pb");
  yaml.replace(yaml.find("                port: "), std::strlen("                port: "),
               "                port: many\n                unused: ");
  WriteFile(dir / "c.yaml", yaml);
  Process p({kBinary, "validate", "--config", (dir / "c.yaml").string()}, dir / "out.log");
  REQUIRE(p.Wait(std::chrono::seconds(30)) == std::optional<int>(1));
  CHECK_THAT(p.Output(), Contains("c.yaml:") &&
                             Contains("service.telemetry.metrics.readers[0].pull.exporter.prometheus.port"));
}
