// The exporter against real OTLP/gRPC backends on 127.0.0.1 port 0.
#include "exporters/loadbalancing/loadbalancing_exporter.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "config/loader.h"
#include "exporters/loadbalancing/resolver.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test/exporters/loadbalancing/dns_server.h"
#include "test/exporters/otlp/test_server.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace otlpd::exporters::loadbalancing;
using namespace std::chrono_literals;
using otlpd::test::TestServer;
using otlpd::test::WaitFor;
namespace tracepb = opentelemetry::proto::collector::trace::v1;
namespace logspb = opentelemetry::proto::collector::logs::v1;

namespace {

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "t.yaml");
  config::MapDecoder d(node, "exporters.loadbalancing");
  return Config::Decode(d);
}

std::string StaticConfig(const std::vector<TestServer*>& servers, const std::string& extra = "") {
  std::string y = "resolver:\n  static:\n    hostnames: [";
  for (std::size_t i = 0; i < servers.size(); ++i) y += (i ? ", " : "") + servers[i]->endpoint();
  y += "]\nprotocol:\n  otlp:\n    tls:\n      insecure: true\n" + extra;
  return y;
}

std::string Tid(int i) {
  std::string t(16, '\0');
  t[0] = static_cast<char>(0xa0);
  t[14] = static_cast<char>(i >> 8);
  t[15] = static_cast<char>(i & 0xff);
  return t;
}

// `traces` traces of `spans` spans each, spread over two resources.
PayloadPtr Traces(int first, int traces, int spans) {
  tracepb::ExportTraceServiceRequest req;
  for (int r = 0; r < 2; ++r) {
    auto* rs = req.add_resource_spans();
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value("svc" + std::to_string(r));
    auto* ss = rs->add_scope_spans();
    for (int t = first; t < first + traces; ++t) {
      for (int s = 0; s < spans; ++s) {
        if ((s % 2) != r) continue;
        auto* sp = ss->add_spans();
        sp->set_trace_id(Tid(t));
        sp->set_span_id(std::string(7, '\1') + static_cast<char>(s + 1));
        sp->set_name("t" + std::to_string(t) + "s" + std::to_string(s));
      }
    }
  }
  return MakePayload(Signal::kTraces, req.SerializeAsString(), static_cast<std::uint64_t>(traces * spans));
}

// trace id -> (server index -> spans), from what the servers recorded.
std::map<std::string, std::map<int, int>> Received(const std::vector<TestServer*>& servers) {
  std::map<std::string, std::map<int, int>> out;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    for (const auto& r : servers[i]->requests()) {
      tracepb::ExportTraceServiceRequest req;
      REQUIRE(req.ParseFromString(r.bytes));
      for (const auto& rs : req.resource_spans())
        for (const auto& ss : rs.scope_spans())
          for (const auto& sp : ss.spans()) ++out[sp.trace_id()][static_cast<int>(i)];
    }
  }
  return out;
}

int TotalSpans(const std::vector<TestServer*>& servers) {
  int n = 0;
  for (const auto& [tid, per] : Received(servers))
    for (const auto& [s, c] : per) n += c;
  return n;
}

int ServerOf(const std::vector<TestServer*>& servers, const std::string& endpoint) {
  for (std::size_t i = 0; i < servers.size(); ++i)
    if (servers[i]->endpoint() == endpoint) return static_cast<int>(i);
  return -1;
}

}  // namespace

TEST_CASE("loadbalancing: every trace arrives whole at the backend the ring picks") {
  TestServer a, b, c;
  std::vector<TestServer*> servers{&a, &b, &c};
  Telemetry telemetry;
  ComponentTelemetry* t = telemetry.Register("exporter", "loadbalancing");
  LoadBalancingExporter lb("loadbalancing", Decode(StaticConfig(servers)), t);
  REQUIRE(lb.Start().ok());
  CHECK(lb.backends().size() == 3);
  constexpr int kTraces = 60, kSpans = 4;
  for (int i = 0; i < kTraces; i += 10) REQUIRE(lb.Consume(Traces(i, 10, kSpans)).ok());
  REQUIRE(WaitFor([&] { return TotalSpans(servers) == kTraces * kSpans; }, 20s));
  std::vector<std::string> endpoints;
  for (auto* s : servers) endpoints.push_back(s->endpoint());
  HashRing ring(endpoints);
  std::set<int> used;
  for (const auto& [tid, per] : Received(servers)) {
    REQUIRE(per.size() == 1);  // whole, at exactly one backend
    CHECK(per.begin()->second == kSpans);
    const int expected = ServerOf(servers, ring.endpoints()[static_cast<std::size_t>(ring.EndpointFor(tid))]);
    CHECK(per.begin()->first == expected);
    used.insert(per.begin()->first);
  }
  CHECK(used.size() == 3);
  CHECK((*t)[Signal::kTraces].sent.load() == kTraces * kSpans);
  CHECK(lb.lb_telemetry().outcomes(true) >= 6);
  CHECK(lb.lb_telemetry().num_backends.load() == 3);
  // contrib's instruments, as the self-telemetry reads them.
  REQUIRE(t->metrics);
  std::map<std::string, ComponentMetric> metrics;
  for (ComponentMetric& m : t->metrics()) metrics[m.name] = std::move(m);
  const auto& resolutions = metrics.at("otelcol_loadbalancer_num_resolutions");
  CHECK(resolutions.unit == "{resolutions}");
  CHECK(resolutions.points[0].attributes ==
        std::vector<std::pair<std::string, std::string>>{{"resolver", "static"}, {"success", "true"}});
  CHECK(resolutions.points[0].value == 1);
  CHECK(metrics.at("otelcol_loadbalancer_num_backends").points[0].value == 3);
  CHECK(metrics.at("otelcol_loadbalancer_num_backend_updates").points[0].value == 1);
  const auto& latency = metrics.at("otelcol_loadbalancer_backend_latency");
  CHECK(latency.type == ComponentMetric::Type::kHistogram);
  CHECK(latency.unit == "ms");
  CHECK(latency.points.size() == 3);
  CHECK(latency.points[0].bounds ==
        std::vector<std::uint64_t>{5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000});
  double ok = 0;
  for (const auto& p : metrics.at("otelcol_loadbalancer_backend_outcome").points)
    if (p.attributes[1].second == "true") ok += p.value;
  CHECK(ok >= 6);
  lb.Shutdown(Clock::now() + 5s);
}

TEST_CASE("loadbalancing: a failed backend's data goes to the ring's next choice, nothing lost") {
  // Per-backend queue on (contrib's default) or off; retries off so that the
  // failure shows at once.
  const std::string queue = GENERATE(std::string("true"), std::string("false"));
  CAPTURE(queue);
  TestServer a, b, c;
  std::vector<TestServer*> servers{&a, &b, &c};
  std::vector<std::string> endpoints{a.endpoint(), b.endpoint(), c.endpoint()};
  Telemetry telemetry;
  ComponentTelemetry* t = telemetry.Register("exporter", "loadbalancing");
  ExporterOptions options;
  options.failover_cooldown = 60s;  // the dead backend stays passed over for the whole test
  LoadBalancingExporter lb(
      "loadbalancing",
      Decode(StaticConfig(
          servers,
          "    retry_on_failure:\n      enabled: false\n    sending_queue:\n      enabled: " + queue + "\n")),
      t, options);
  REQUIRE(lb.Start().ok());
  b.Stop();  // b is down before anything is sent
  constexpr int kTraces = 60, kSpans = 3;
  for (int i = 0; i < kTraces; i += 10) REQUIRE(lb.Consume(Traces(i, 10, kSpans)).ok());
  REQUIRE(WaitFor([&] { return TotalSpans(servers) == kTraces * kSpans && lb.pending() == 0; }, 30s));
  HashRing without_b({a.endpoint(), c.endpoint()});
  HashRing all(endpoints);
  int rerouted = 0;
  for (const auto& [tid, per] : Received(servers)) {
    REQUIRE(per.size() == 1);
    CHECK(per.begin()->second == kSpans);
    CHECK(per.count(1) == 0);
    // Traces of b land where b's absence from the ring sends them.
    const int expected =
        ServerOf(servers, without_b.endpoints()[static_cast<std::size_t>(without_b.EndpointFor(tid))]);
    CHECK(per.begin()->first == expected);
    if (all.endpoints()[static_cast<std::size_t>(all.EndpointFor(tid))] == b.endpoint()) ++rerouted;
  }
  CHECK(rerouted > 0);
  CHECK((*t)[Signal::kTraces].send_failed.load() == 0);
  lb.Shutdown(Clock::now() + 5s);
}

TEST_CASE("loadbalancing: a backend that fails mid-run; its queued and retried data is re-routed") {
  TestServer a, b;
  std::vector<TestServer*> servers{&a, &b};
  Telemetry telemetry;
  ComponentTelemetry* t = telemetry.Register("exporter", "loadbalancing");
  // Retries on, bounded: the backend gives up after max_elapsed_time and hands the data back.
  LoadBalancingExporter lb("loadbalancing",
                           Decode(StaticConfig(servers,
                                               "    retry_on_failure:\n      initial_interval: 10ms\n"
                                               "      max_interval: 20ms\n      max_elapsed_time: 200ms\n")),
                           t);
  REQUIRE(lb.Start().ok());
  REQUIRE(lb.Consume(Traces(0, 20, 2)).ok());
  REQUIRE(WaitFor([&] { return TotalSpans(servers) == 40; }, 20s));
  a.Stop();
  constexpr int kMore = 40;
  for (int i = 100; i < 100 + kMore; i += 10) REQUIRE(lb.Consume(Traces(i, 10, 2)).ok());
  REQUIRE(WaitFor([&] { return TotalSpans(servers) >= 40 + kMore * 2 && lb.pending() == 0; }, 30s));
  for (const auto& [tid, per] : Received(servers)) {
    int n = 0;
    for (const auto& [s, cnt] : per) n += cnt;
    CHECK(n == 2);  // delivered, and not twice
  }
  CHECK((*t)[Signal::kTraces].send_failed.load() == 0);
  lb.Shutdown(Clock::now() + 5s);
}

TEST_CASE("loadbalancing: logs by service through the exporter") {
  TestServer a, b, c;
  std::vector<TestServer*> servers{&a, &b, &c};
  Telemetry telemetry;
  LoadBalancingExporter lb("loadbalancing", Decode(StaticConfig(servers)),
                           telemetry.Register("exporter", "loadbalancing"));
  REQUIRE(lb.Start().ok());
  logspb::ExportLogsServiceRequest req;
  constexpr int kServices = 12;
  for (int i = 0; i < kServices; ++i) {
    auto* rl = req.add_resource_logs();
    auto* kv = rl->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value("svc-" + std::to_string(i));
    rl->add_scope_logs()->add_log_records()->mutable_body()->set_string_value("log " + std::to_string(i));
  }
  REQUIRE(lb.Consume(MakePayload(Signal::kLogs, req.SerializeAsString(), kServices)).ok());
  std::vector<std::string> endpoints{a.endpoint(), b.endpoint(), c.endpoint()};
  HashRing ring(endpoints);
  auto received = [&] {
    std::map<std::string, int> where;
    for (std::size_t i = 0; i < servers.size(); ++i) {
      for (const auto& r : servers[i]->requests()) {
        CHECK(r.method == "/opentelemetry.proto.collector.logs.v1.LogsService/Export");
        logspb::ExportLogsServiceRequest got;
        REQUIRE(got.ParseFromString(r.bytes));
        for (const auto& rl : got.resource_logs())
          where[rl.resource().attributes(0).value().string_value()] = static_cast<int>(i);
      }
    }
    return where;
  };
  REQUIRE(WaitFor([&] { return received().size() == kServices; }, 20s));
  for (const auto& [svc, server] : received()) {
    CAPTURE(svc);
    CHECK(server == ServerOf(servers, ring.endpoints()[static_cast<std::size_t>(ring.EndpointFor(svc))]));
  }
  lb.Shutdown(Clock::now() + 5s);
}

TEST_CASE("dns lookups go to the configured server; the dns resolver follows changes") {
  otlpd::test::DnsServer dns;
  dns.SetA("gateways.otlpd.test", {"127.0.0.1"});
  auto addrs = LookupIpAddrs("gateways.otlpd.test", 2s, dns.address());
  REQUIRE(addrs.ok());
  CHECK(*addrs == std::vector<std::string>{"127.0.0.1"});
  CHECK_FALSE(LookupIpAddrs("unknown.otlpd.test", 2s, dns.address()).ok());
  // Literals need no server; the hosts file comes before DNS, as in Go.
  auto literal = LookupIpAddrs("127.0.0.5", 2s, dns.address());
  REQUIRE(literal.ok());
  CHECK(*literal == std::vector<std::string>{"127.0.0.5"});
  auto v6 = LookupIpAddrs("::1", 2s, dns.address());
  REQUIRE(v6.ok());
  CHECK(*v6 == std::vector<std::string>{"[::1]"});
  const int before_hosts = dns.queries();
  auto local = LookupIpAddrs("localhost", 2s, dns.address());
  REQUIRE(local.ok());
  CHECK(std::find(local->begin(), local->end(), "127.0.0.1") != local->end());
  CHECK(dns.queries() == before_hosts);

  LbTelemetry telemetry;
  DnsResolverConfig cfg;
  cfg.hostname = "gateways.otlpd.test";
  cfg.port = "4317";
  cfg.interval = 20ms;
  cfg.timeout = 1s;
  DnsResolver resolver(cfg, &telemetry, dns.address());
  std::mutex mu;
  std::vector<std::vector<std::string>> seen;
  REQUIRE(resolver
              .Start([&](const std::vector<std::string>& b) {
                std::lock_guard<std::mutex> lock(mu);
                seen.push_back(b);
              })
              .ok());
  {
    std::lock_guard<std::mutex> lock(mu);
    REQUIRE(seen.size() == 1);  // the first resolution happens in Start
    CHECK(seen[0] == std::vector<std::string>{"127.0.0.1:4317"});
  }
  dns.SetA("gateways.otlpd.test", {"127.0.0.3", "127.0.0.2"});
  REQUIRE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return seen.back() == std::vector<std::string>{"127.0.0.2:4317", "127.0.0.3:4317"};
      },
      10s));
  const int before = dns.queries();
  REQUIRE(WaitFor([&] { return dns.queries() > before + 4; }, 10s));  // keeps resolving
  {
    std::lock_guard<std::mutex> lock(mu);
    CHECK(seen.size() == 2);  // an unchanged answer is not announced again
  }
  CHECK(telemetry.backend_updates.load() == 2);
  CHECK(telemetry.resolutions_ok.load() >= 3);
  resolver.Shutdown();
}

TEST_CASE("loadbalancing with the dns resolver: backends follow the records") {
  TestServer a;
  otlpd::test::DnsServer dns;
  dns.SetA("gw.otlpd.test", {"127.0.0.1"});
  Telemetry telemetry;
  ExporterOptions options;
  options.dns_servers = dns.address();
  LoadBalancingExporter lb(
      "loadbalancing",
      Decode("resolver:\n  dns:\n    hostname: gw.otlpd.test\n    port: \"" + std::to_string(a.port()) +
             "\"\n    interval: 20ms\nprotocol:\n  otlp:\n    tls:\n      insecure: true\n"),
      telemetry.Register("exporter", "loadbalancing"), options);
  REQUIRE(lb.Start().ok());
  CHECK(lb.backends() == std::vector<std::string>{a.endpoint()});
  REQUIRE(lb.Consume(Traces(0, 5, 2)).ok());
  REQUIRE(WaitFor([&] { return TotalSpans({&a}) == 10; }, 20s));
  dns.SetA("gw.otlpd.test", {"127.0.0.1", "127.0.0.2"});
  const std::string second = "127.0.0.2:" + std::to_string(a.port());
  REQUIRE(WaitFor([&] { return lb.backends().size() == 2; }, 10s));
  CHECK(lb.backends()[1] == second);
  dns.SetA("gw.otlpd.test", {"127.0.0.1"});
  REQUIRE(WaitFor([&] { return lb.backends().size() == 1; }, 10s));
  lb.Shutdown(Clock::now() + 5s);
}

TEST_CASE("loadbalancing: a sending_queue at the load balancer level routes from its own consumers") {
  TestServer a, b;
  std::vector<TestServer*> servers{&a, &b};
  Telemetry telemetry;
  ComponentTelemetry* t = telemetry.Register("exporter", "loadbalancing");
  Config config = Decode(StaticConfig(servers) + "sending_queue:\n  num_consumers: 2\n  queue_size: 10\n");
  REQUIRE(config.helper.sending_queue.enabled);
  LoadBalancingExporter lb("loadbalancing", std::move(config), t);
  REQUIRE(lb.Start().ok());
  a.Hold();  // a answers nothing for now: the load balancer's own queue fills
  b.Hold();
  int accepted = 0;
  for (int i = 0; i < 40; ++i) accepted += lb.Consume(Traces(i * 4, 4, 1)).ok() ? 1 : 0;
  a.Release();
  b.Release();
  REQUIRE(WaitFor([&] { return TotalSpans(servers) == accepted * 4; }, 20s));
  CHECK(accepted >= 10);  // at least a queue's worth was taken
  CHECK((*t)[Signal::kTraces].sent.load() == static_cast<std::uint64_t>(accepted * 4));
  lb.Shutdown(Clock::now() + 5s);
}

TEST_CASE(
    "loadbalancing: with every backend down, acknowledged data waits and is delivered when one returns") {
  auto a = std::make_unique<TestServer>();
  const int port = a->port();
  Telemetry telemetry;
  ComponentTelemetry* t = telemetry.Register("exporter", "loadbalancing");
  LoadBalancingExporter lb(
      "loadbalancing", Decode(StaticConfig({a.get()}, "    retry_on_failure:\n      enabled: false\n")), t);
  REQUIRE(lb.Start().ok());
  a->Stop();
  REQUIRE(lb.Consume(Traces(0, 3, 2)).ok());
  REQUIRE(WaitFor([&] { return lb.pending() > 0; }, 10s));  // handed back, waiting
  TestServer::Options o;
  o.port = port;  // the backend comes back where the resolver says it is
  TestServer back(o);
  REQUIRE(back.running());
  REQUIRE(WaitFor([&] { return TotalSpans({&back}) == 6 && lb.pending() == 0; }, 30s));
  CHECK((*t)[Signal::kTraces].send_failed.load() == 0);
  lb.Shutdown(Clock::now() + 5s);
}
