// Real processes: an agent otlpd with the loadbalancing exporter (static
// resolver) in front of three gateway otlpds, each writing what it receives
// to a proto file. Every trace arrives whole at exactly one gateway; after a
// gateway is killed, the agent still acknowledges, and what it acknowledged
// reaches the other gateways (re-routed), each span once.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "exporters/loadbalancing/ring.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/exporters/loadbalancing/dns_server.h"
#include "test/service/telemetry/http_get.h"
#include "test/support/process.h"
#include "test/support/proto_file.h"
#include "test/support/sink.h"

using namespace otlpd::test;
namespace tracepb = opentelemetry::proto::collector::trace::v1;

namespace {

const std::string kOtlpd = OTLPD_BINARY;

std::string GatewayConfig(int port, const std::string& path, const std::string& ip = "127.0.0.1") {
  return "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: " + ip + ":" +
         std::to_string(port) + "\nexporters:\n  file:\n    path: " + path +
         "\n    format: proto\n    flush_interval: 0s\n"
         "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [file]\n";
}

std::string AgentConfig(int port, const std::vector<int>& gateways, int metrics_port) {
  std::string hosts;
  for (int g : gateways) hosts += (hosts.empty() ? "" : ", ") + std::string("127.0.0.1:") + std::to_string(g);
  return "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:" +
         std::to_string(port) +
         "\nexporters:\n  loadbalancing:\n    routing_key: traceID\n    protocol:\n      otlp:\n"
         "        tls:\n          insecure: true\n        retry_on_failure:\n          initial_interval: "
         "20ms\n"
         "          max_interval: 100ms\n          max_elapsed_time: 1s\n"
         "    resolver:\n      static:\n        hostnames: [" +
         hosts +
         "]\n"
         "service:\n  telemetry:\n    metrics:\n      readers:\n        - pull:\n            exporter:\n"
         "              prometheus:\n                host: 127.0.0.1\n                port: " +
         std::to_string(metrics_port) +
         "\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [loadbalancing]\n";
}

bool PortOpenAt(const std::string& ip, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string TraceId(int trace) {
  std::string tid(16, '\x5a');
  tid[14] = static_cast<char>(trace >> 8);
  tid[15] = static_cast<char>(trace & 0xff);
  return tid;
}

// Request `i`: 5 traces of 4 spans, each trace's spans over two resources.
tracepb::ExportTraceServiceRequest Request(int i) {
  tracepb::ExportTraceServiceRequest req;
  for (int r = 0; r < 2; ++r) {
    auto* rs = req.add_resource_spans();
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value(r == 0 ? "frontend" : "checkout");
    auto* ss = rs->add_scope_spans();
    for (int t = 0; t < 5; ++t) {
      const int trace = i * 5 + t;
      for (int s = r; s < 4; s += 2) {
        auto* sp = ss->add_spans();
        sp->set_trace_id(TraceId(trace));
        sp->set_span_id(std::string(7, '\x01') + static_cast<char>(s + 1));
        sp->set_name("trace" + std::to_string(trace) + "-span" + std::to_string(s));
      }
    }
  }
  return req;
}

// trace name prefix ("trace12") -> gateway -> span names.
using Where = std::map<std::string, std::map<int, std::multiset<std::string>>>;

Where Received(const std::vector<std::filesystem::path>& files) {
  Where out;
  using Req = tracepb::ExportTraceServiceRequest;
  for (std::size_t g = 0; g < files.size(); ++g) {
    if (!std::filesystem::exists(files[g])) continue;
    for (const Req& req : ParseProtoRecords<Req>(ReadProtoRecords(files[g]))) {
      for (const auto& rs : req.resource_spans())
        for (const auto& ss : rs.scope_spans())
          for (const auto& sp : ss.spans()) {
            const std::string trace = sp.name().substr(0, sp.name().find('-'));
            out[trace][static_cast<int>(g)].insert(sp.name());
          }
    }
  }
  return out;
}

std::size_t SpanCount(const Where& w) {
  std::size_t n = 0;
  for (const auto& [t, per] : w)
    for (const auto& [g, names] : per) n += names.size();
  return n;
}

}  // namespace

TEST_CASE("agent with loadbalancing in front of three gateways; one gateway killed mid-run") {
  TempDir dir;
  std::vector<int> gw_ports;
  std::vector<std::filesystem::path> files;
  std::vector<std::unique_ptr<Process>> gateways;
  for (int g = 0; g < 3; ++g) {
    files.push_back(dir / ("gw" + std::to_string(g) + ".pb"));
    const auto cfg = dir / ("gw" + std::to_string(g) + ".yaml");
    WriteFile(cfg, GatewayConfig(0, files.back().string()));
    gateways.push_back(std::make_unique<Process>(std::vector<std::string>{kOtlpd, "--config", cfg.string()},
                                                 dir / ("gw" + std::to_string(g) + ".log")));
  }
  for (const auto& gateway : gateways) {
    gw_ports.push_back(LoggedPort(*gateway, "OTLP/gRPC listening on"));
    INFO(gateway->Output());
    REQUIRE(gw_ports.back() != 0);
  }
  WriteFile(dir / "agent.yaml", AgentConfig(0, gw_ports, 0));
  Process agent({kOtlpd, "--config", (dir / "agent.yaml").string()}, dir / "agent.log");
  const int agent_port = LoggedPort(agent, "OTLP/gRPC listening on");
  const int metrics_port = LoggedPort(agent, "serving internal metrics on");
  INFO(agent.Output());
  REQUIRE(agent_port != 0);
  REQUIRE(metrics_port != 0);

  auto stub = tracepb::TraceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(agent_port), grpc::InsecureChannelCredentials()));
  auto send = [&](int i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    tracepb::ExportTraceServiceResponse resp;
    return stub->Export(&ctx, Request(i), &resp).ok();
  };

  // Phase 1: all gateways up.
  constexpr int kRequests = 20;
  for (int i = 0; i < kRequests; ++i) REQUIRE(send(i));
  const std::size_t phase1 = kRequests * 5 * 4;
  bool all = WaitFor([&] { return SpanCount(Received(files)) >= phase1; }, std::chrono::seconds(30));
  INFO(agent.Output());
  REQUIRE(all);
  Where w = Received(files);
  std::set<int> used;
  for (const auto& [trace, per] : w) {
    CAPTURE(trace);
    REQUIRE(per.size() == 1);                // whole at exactly one gateway
    CHECK(per.begin()->second.size() == 4);  // every span, once
    used.insert(per.begin()->first);
  }
  CHECK(used.size() == 3);

  // Phase 2: gateway 1 is killed; the agent keeps acknowledging and its
  // traces go to the ring's next choice.
  gateways[1]->Signal(SIGKILL);
  gateways[1]->Wait(std::chrono::seconds(10));
  for (int i = kRequests; i < 2 * kRequests; ++i) REQUIRE(send(i));
  const std::size_t total = 2 * phase1;
  all = WaitFor([&] { return SpanCount(Received(files)) >= total; }, std::chrono::seconds(60));
  INFO(agent.Output());
  REQUIRE(all);
  w = Received(files);
  CHECK(SpanCount(w) == total);  // nothing twice
  int rerouted_traces = 0;
  for (const auto& [trace, per] : w) {
    CAPTURE(trace);
    REQUIRE(per.size() == 1);
    CHECK(per.begin()->second.size() == 4);
    const int n = std::stoi(trace.substr(5));
    if (n >= kRequests * 5) {
      CHECK(per.begin()->first != 1);
      ++rerouted_traces;
    }
  }
  CHECK(rerouted_traces == kRequests * 5);
  // contrib's instruments on the agent's Prometheus endpoint.
  const std::string page = HttpGet(metrics_port, "/metrics").body;
  INFO(page);
  CHECK(page.find("otelcol_loadbalancer_num_backends{") != std::string::npos);
  CHECK(page.find("otelcol_loadbalancer_num_resolutions{") != std::string::npos);
  CHECK(page.find("otelcol_loadbalancer_backend_latency_bucket{") != std::string::npos);
  CHECK(page.find("success=\"false\"") != std::string::npos);
  agent.Signal(SIGTERM);
  CHECK(agent.Wait(std::chrono::seconds(30)) == 0);
  for (int g : {0, 2}) {
    gateways[static_cast<std::size_t>(g)]->Signal(SIGTERM);
    CHECK(gateways[static_cast<std::size_t>(g)]->Wait(std::chrono::seconds(30)) == 0);
  }
}

TEST_CASE(
    "agent with the dns resolver: gateways follow the records, a removed and killed one is routed around") {
  otlpd::test::DnsServer dns;
  TempDir dir;
  // The gateways share one port, on 127.0.0.1, .2 and .3: the one the first
  // bound for port 0 on 127.0.0.1 (no other test binds .2 or .3).
  int port = 0;
  const std::vector<std::string> ips{"127.0.0.1", "127.0.0.2", "127.0.0.3"};
  std::vector<std::filesystem::path> files;
  std::vector<std::unique_ptr<Process>> gateways;
  for (std::size_t g = 0; g < ips.size(); ++g) {
    files.push_back(dir / ("gw" + std::to_string(g) + ".pb"));
    const auto cfg = dir / ("gw" + std::to_string(g) + ".yaml");
    WriteFile(cfg, GatewayConfig(port, files.back().string(), ips[g]));
    gateways.push_back(std::make_unique<Process>(std::vector<std::string>{kOtlpd, "--config", cfg.string()},
                                                 dir / ("gw" + std::to_string(g) + ".log")));
    if (g == 0) {
      port = LoggedPort(*gateways[0], "OTLP/gRPC listening on");
      INFO(gateways[0]->Output());
      REQUIRE(port != 0);
    }
  }
  for (std::size_t g = 0; g < ips.size(); ++g) {
    INFO(gateways[g]->Output());
    REQUIRE(WaitFor([&] { return PortOpenAt(ips[g], port); }, std::chrono::seconds(10)));
  }
  dns.SetA("gateways.otlpd.test", ips);
  ::setenv("OTLPD_LOADBALANCING_DNS_SERVERS", dns.address().c_str(), 1);
  WriteFile(
      dir / "agent.yaml",
      "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0"
      "\nexporters:\n  load_balancing:\n    protocol:\n      otlp:\n        tls:\n          insecure: "
      "true\n"
      "        retry_on_failure:\n          initial_interval: 20ms\n          max_interval: 100ms\n"
      "          max_elapsed_time: 1s\n    resolver:\n      dns:\n        hostname: gateways.otlpd.test\n"
      "        port: \"" +
          std::to_string(port) +
          "\"\n        interval: 100ms\n"
          "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: "
          "[load_balancing]\n");
  Process agent({kOtlpd, "--config", (dir / "agent.yaml").string()}, dir / "agent.log");
  ::unsetenv("OTLPD_LOADBALANCING_DNS_SERVERS");
  const int agent_port = LoggedPort(agent, "OTLP/gRPC listening on");
  INFO(agent.Output());
  REQUIRE(agent_port != 0);
  auto stub = tracepb::TraceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(agent_port), grpc::InsecureChannelCredentials()));
  auto send = [&](int i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    tracepb::ExportTraceServiceResponse resp;
    return stub->Export(&ctx, Request(i), &resp).ok();
  };
  constexpr int kRequests = 20;
  for (int i = 0; i < kRequests; ++i) REQUIRE(send(i));
  bool all = WaitFor([&] { return SpanCount(Received(files)) >= kRequests * 20u; }, std::chrono::seconds(30));
  INFO(agent.Output());
  REQUIRE(all);
  std::vector<std::string> endpoints;
  for (const auto& ip : ips) endpoints.push_back(ip + ":" + std::to_string(port));
  otlpd::exporters::loadbalancing::HashRing three(endpoints);
  std::set<int> used;
  for (const auto& [trace, per] : Received(files)) {
    CAPTURE(trace);
    REQUIRE(per.size() == 1);
    CHECK(per.begin()->second.size() == 4);
    const int n = std::stoi(trace.substr(5));
    CHECK(per.begin()->first == three.EndpointFor(TraceId(n)));  // endpoints sorted as the ips
    used.insert(per.begin()->first);
  }
  CHECK(used.size() == 3);

  // 127.0.0.2 leaves the records and its gateway dies.
  dns.SetA("gateways.otlpd.test", {"127.0.0.1", "127.0.0.3"});
  gateways[1]->Signal(SIGKILL);
  gateways[1]->Wait(std::chrono::seconds(10));
  for (int i = kRequests; i < 2 * kRequests; ++i) REQUIRE(send(i));
  all = WaitFor([&] { return SpanCount(Received(files)) >= 2 * kRequests * 20u; }, std::chrono::seconds(60));
  INFO(agent.Output());
  REQUIRE(all);
  otlpd::exporters::loadbalancing::HashRing two({endpoints[0], endpoints[2]});
  const Where w = Received(files);
  CHECK(SpanCount(w) == 2 * kRequests * 20u);  // nothing twice
  for (const auto& [trace, per] : w) {
    CAPTURE(trace);
    REQUIRE(per.size() == 1);
    CHECK(per.begin()->second.size() == 4);
    const int n = std::stoi(trace.substr(5));
    if (n >= kRequests * 5) {
      const int e = two.EndpointFor(TraceId(n));
      CHECK(per.begin()->first == (e == 0 ? 0 : 2));
    }
  }
  agent.Signal(SIGTERM);
  CHECK(agent.Wait(std::chrono::seconds(30)) == 0);
  for (int g : {0, 2}) {
    gateways[static_cast<std::size_t>(g)]->Signal(SIGTERM);
    CHECK(gateways[static_cast<std::size_t>(g)]->Wait(std::chrono::seconds(30)) == 0);
  }
}

// The gateway tier of issue 14 as processes: the agent routes by trace ID and
// each gateway runs tail_sampling, so every decision sees a whole trace.
TEST_CASE(
    "agent with loadbalancing in front of three tail-sampling gateways keeps exactly the selected traces") {
  TempDir dir;
  std::vector<int> gw_ports;
  std::vector<std::filesystem::path> files;
  std::vector<std::unique_ptr<Process>> gateways;
  for (int g = 0; g < 3; ++g) {
    files.push_back(dir / ("gw" + std::to_string(g) + ".pb"));
    const auto cfg = dir / ("gw" + std::to_string(g) + ".yaml");
    // Keep a trace when one of its spans has keep=yes (a span of the
    // "checkout" resource, so the decision needs both halves of the request).
    WriteFile(cfg,
              "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0\n"
              "processors:\n  tail_sampling:\n    decision_wait: 1s\n    policies:\n"
              "      - {name: keep, type: string_attribute, string_attribute: {key: keep, values: [yes]}}\n"
              "exporters:\n  file:\n    path: " +
                  files.back().string() +
                  "\n    format: proto\n    flush_interval: 0s\n"
                  "service:\n  telemetry: {metrics: {level: none}}\n"
                  "  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [tail_sampling]\n"
                  "      exporters: [file]\n");
    gateways.push_back(std::make_unique<Process>(std::vector<std::string>{kOtlpd, "--config", cfg.string()},
                                                 dir / ("gw" + std::to_string(g) + ".log")));
  }
  for (auto& g : gateways) {
    gw_ports.push_back(LoggedPort(*g, "OTLP/gRPC listening on"));
    INFO(g->Output());
    REQUIRE(gw_ports.back() != 0);
  }
  std::string hosts;
  for (int p : gw_ports) hosts += (hosts.empty() ? "" : ", ") + std::string("127.0.0.1:") + std::to_string(p);
  WriteFile(dir / "agent.yaml",
            "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0\n"
            "exporters:\n  loadbalancing:\n    protocol:\n      otlp:\n        tls: {insecure: true}\n"
            "    resolver:\n      static:\n        hostnames: [" +
                hosts +
                "]\nservice:\n  telemetry: {metrics: {level: none}}\n"
                "  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [loadbalancing]\n");
  Process agent({kOtlpd, "--config", (dir / "agent.yaml").string()}, dir / "agent.log");
  const int agent_port = LoggedPort(agent, "OTLP/gRPC listening on");
  INFO(agent.Output());
  REQUIRE(agent_port != 0);

  auto stub = tracepb::TraceService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(agent_port), grpc::InsecureChannelCredentials()));
  constexpr int kRequests = 12;  // 60 traces of 4 spans
  std::set<std::string> selected;
  for (int i = 0; i < kRequests; ++i) {
    tracepb::ExportTraceServiceRequest req = Request(i);
    // Traces 0, 3, 6, ... get keep=yes on their span 1 (resource "checkout").
    for (auto& sp : *req.mutable_resource_spans(1)->mutable_scope_spans(0)->mutable_spans()) {
      const std::string trace = sp.name().substr(0, sp.name().find('-'));
      if (std::stoi(trace.substr(5)) % 3 != 0 || sp.name().find("-span1") == std::string::npos) continue;
      auto* kv = sp.add_attributes();
      kv->set_key("keep");
      kv->mutable_value()->set_string_value("yes");
      selected.insert(trace);
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    tracepb::ExportTraceServiceResponse resp;
    REQUIRE(stub->Export(&ctx, req, &resp).ok());
  }
  REQUIRE(selected.size() == kRequests * 5 / 3);
  // The gateways decide after decision_wait; then stop them, which decides
  // anything still pending, so the files hold every decision.
  CHECK(WaitFor([&] { return SpanCount(Received(files)) >= selected.size() * 4; }, std::chrono::seconds(30)));
  agent.Signal(SIGTERM);
  CHECK(agent.Wait(std::chrono::seconds(30)) == 0);
  for (auto& g : gateways) {
    g->Signal(SIGTERM);
    CHECK(g->Wait(std::chrono::seconds(30)) == 0);
  }
  const Where w = Received(files);
  std::set<std::string> kept;
  std::set<int> used;
  for (const auto& [trace, per] : w) {
    CAPTURE(trace);
    kept.insert(trace);
    REQUIRE(per.size() == 1);                // whole at exactly one gateway
    CHECK(per.begin()->second.size() == 4);  // every span, once
    used.insert(per.begin()->first);
  }
  CHECK(kept == selected);  // exactly the traces the policy selects
  CHECK(used.size() >= 2);  // spread over the tier (which gateways the ring picks depends on their ports)
}
