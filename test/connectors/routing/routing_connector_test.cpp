#include "connectors/routing/routing_connector.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test/support/config_error.h"
#include "test/support/sink.h"

namespace otlpd::connectors::routing {
namespace {

using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "test.yaml");
  config::MapDecoder d(node, "connectors.routing");
  return Config::Decode(d);
}

std::string ErrorOf(const std::string& yaml) {
  return test::ConfigError([&] { Decode(yaml); });
}

PayloadPtr Request(const std::vector<std::string>& services, std::shared_ptr<const Metadata> md = nullptr) {
  ExportTraceServiceRequest req;
  for (const auto& s : services) {
    auto* rs = req.add_resource_spans();
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value(s);
    rs->add_scope_spans()->add_spans()->set_name(s + "-span");
  }
  return MakePayload(Signal::kTraces, req.SerializeAsString(), services.size(), std::move(md));
}

std::vector<std::string> Services(const test::Sink& sink) {
  std::vector<std::string> out;
  for (const auto& p : sink.payloads()) {
    ExportTraceServiceRequest req;
    REQUIRE(req.ParseFromString(p->bytes));
    for (const auto& rs : req.resource_spans())
      out.push_back(rs.resource().attributes(0).value().string_value());
  }
  return out;
}

TEST_CASE("routing config: contrib's errors, located") {
  CHECK_THAT(ErrorOf("{}"), Catch::Contains("invalid routing table: the routing table is empty"));
  CHECK_THAT(ErrorOf("table: [{pipelines: [traces/a]}]"),
             Catch::Contains("invalid route: no condition or statement provided"));
  CHECK_THAT(ErrorOf("table: [{condition: 'true', statement: 'route()', pipelines: [traces/a]}]"),
             Catch::Contains("invalid route: both condition and statement provided"));
  CHECK_THAT(ErrorOf("table: [{condition: 'true'}]"), Catch::Contains("invalid route: no pipelines defined"));
  CHECK_THAT(ErrorOf("table: [{context: request, statement: 'route()', pipelines: [traces/a]}]"),
             Catch::Contains("\"request\" context requires a 'condition'"));
  CHECK_THAT(ErrorOf("table: [{context: bogus, condition: 'true', pipelines: [traces/a]}]"),
             Catch::Contains("invalid context: bogus"));
  CHECK_THAT(ErrorOf("table: [{condition: 'attributes[\"x\"] ==', pipelines: [traces/a]}]"),
             Catch::Contains("test.yaml:1:"));
  CHECK_THAT(ErrorOf("match_once: true\ntable: [{condition: 'true', pipelines: [traces/a]}]"),
             Catch::Contains("match_once"));
  // Item contexts compile their paths in that context.
  CHECK(ErrorOf("table: [{context: span, condition: 'kind == SPAN_KIND_SERVER', pipelines: [traces/a]}]")
            .empty());
  CHECK_THAT(ErrorOf("table: [{context: log, condition: 'kind == SPAN_KIND_SERVER', pipelines: [logs/a]}]"),
             Catch::Contains("test.yaml:1:"));
  CHECK(ErrorOf("table: [{context: datapoint, condition: 'attributes[\"a\"] == 1', pipelines: [metrics/a]}]")
            .empty());
}

namespace {

// One resource per service; each with one scope "lib" holding spans named by `names`.
PayloadPtr Spans(const std::vector<std::pair<std::string, std::vector<std::string>>>& resources) {
  ExportTraceServiceRequest req;
  std::uint64_t n = 0;
  for (const auto& [svc, names] : resources) {
    auto* rs = req.add_resource_spans();
    rs->set_schema_url("https://schema/" + svc);
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value(svc);
    auto* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name("lib");
    for (const auto& name : names) {
      ss->add_spans()->set_name(name);
      ++n;
    }
  }
  return MakePayload(Signal::kTraces, req.SerializeAsString(), n);
}

// "service/span" for every span a sink got, checking each part keeps its resource and scope.
std::vector<std::string> SpanPaths(const test::Sink& sink) {
  std::vector<std::string> out;
  for (const auto& p : sink.payloads()) {
    ExportTraceServiceRequest req;
    REQUIRE(req.ParseFromString(p->bytes));
    std::uint64_t n = 0;
    for (const auto& rs : req.resource_spans()) {
      const std::string svc = rs.resource().attributes(0).value().string_value();
      CHECK(rs.schema_url() == "https://schema/" + svc);
      for (const auto& ss : rs.scope_spans()) {
        CHECK(ss.scope().name() == "lib");
        for (const auto& sp : ss.spans()) {
          out.push_back(svc + "/" + sp.name());
          ++n;
        }
      }
    }
    CHECK(p->items == n);
  }
  return out;
}

}  // namespace

TEST_CASE("routing: span context routes each span; resource routes and the default mix in table order") {
  test::Sink health, checkout, def;
  Config cfg = Decode(R"(
default_pipelines: [traces/d]
table:
  - context: span
    condition: name == "GET /health"
    pipelines: [traces/h]
  - condition: attributes["service.name"] == "checkout"
    pipelines: [traces/c]
)");
  cfg.table[0].consumer = &health;
  cfg.table[1].consumer = &checkout;
  Telemetry telemetry;
  RoutingConnector conn(Signal::kTraces, std::move(cfg), &def, telemetry.Register("connector", "routing"));
  REQUIRE(
      conn.Consume(Spans({{"checkout", {"GET /health", "pay", "refund"}}, {"cart", {"add", "GET /health"}}}))
          .ok());
  // The health span of checkout matched the first route: first match wins over the resource route.
  CHECK(SpanPaths(health) == std::vector<std::string>{"checkout/GET /health", "cart/GET /health"});
  CHECK(SpanPaths(checkout) == std::vector<std::string>{"checkout/pay", "checkout/refund"});
  CHECK(SpanPaths(def) == std::vector<std::string>{"cart/add"});
  CHECK(health.payloads().size() == 1);  // one request per destination

  // Everything to one route: the same payload goes on.
  PayloadPtr all_health = Spans({{"a", {"GET /health"}}, {"b", {"GET /health"}}});
  REQUIRE(conn.Consume(all_health).ok());
  CHECK(health.payloads().back() == all_health);
}

TEST_CASE("routing: item routes of another signal match nothing; no default drops the rest") {
  test::Sink a;
  Config cfg = Decode(R"(
table:
  - context: log
    condition: severity_text == "ERROR"
    pipelines: [logs/a]
  - context: span
    condition: name == "keep"
    pipelines: [traces/a]
)");
  cfg.table[0].consumer = &a;
  cfg.table[1].consumer = &a;
  Telemetry telemetry;
  RoutingConnector conn(Signal::kTraces, std::move(cfg), nullptr, telemetry.Register("connector", "routing"));
  REQUIRE(conn.Consume(Spans({{"svc", {"keep", "drop", "keep"}}})).ok());
  CHECK(SpanPaths(a) == std::vector<std::string>{"svc/keep", "svc/keep"});
}

TEST_CASE("routing: log and metric contexts") {
  SECTION("log records by severity") {
    test::Sink errors, rest;
    Config cfg = Decode(R"(
default_pipelines: [logs/rest]
table:
  - context: log
    condition: severity_number >= SEVERITY_NUMBER_ERROR
    pipelines: [logs/errors]
)");
    cfg.table[0].consumer = &errors;
    Telemetry telemetry;
    RoutingConnector conn(Signal::kLogs, std::move(cfg), &rest, telemetry.Register("connector", "routing"));
    ExportLogsServiceRequest req;
    auto* sl = req.add_resource_logs()->add_scope_logs();
    for (int sev : {9, 17, 13, 21}) {
      auto* rec = sl->add_log_records();
      rec->set_severity_number(static_cast<opentelemetry::proto::logs::v1::SeverityNumber>(sev));
    }
    REQUIRE(conn.Consume(MakePayload(Signal::kLogs, req.SerializeAsString(), 4)).ok());
    auto severities = [](const test::Sink& sink) {
      std::vector<int> out;
      for (const auto& p : sink.payloads()) {
        ExportLogsServiceRequest r;
        REQUIRE(r.ParseFromString(p->bytes));
        for (const auto& rl : r.resource_logs())
          for (const auto& s : rl.scope_logs())
            for (const auto& rec : s.log_records()) out.push_back(rec.severity_number());
      }
      return out;
    };
    CHECK(severities(errors) == std::vector<int>{17, 21});
    CHECK(severities(rest) == std::vector<int>{9, 13});
  }
  SECTION("metrics by name, each metric whole with its points") {
    test::Sink http, rest;
    Config cfg = Decode(R"(
default_pipelines: [metrics/rest]
table:
  - context: metric
    condition: IsMatch(name, "^http\\.")
    pipelines: [metrics/http]
)");
    cfg.table[0].consumer = &http;
    Telemetry telemetry;
    RoutingConnector conn(Signal::kMetrics, std::move(cfg), &rest,
                          telemetry.Register("connector", "routing"));
    ExportMetricsServiceRequest req;
    auto* sm = req.add_resource_metrics()->add_scope_metrics();
    for (const char* name : {"http.server.duration", "process.cpu", "http.client.duration"}) {
      auto* m = sm->add_metrics();
      m->set_name(name);
      auto* g = m->mutable_gauge();
      g->add_data_points()->set_as_int(1);
      g->add_data_points()->set_as_int(2);
    }
    REQUIRE(conn.Consume(MakePayload(Signal::kMetrics, req.SerializeAsString(), 6)).ok());
    REQUIRE(http.payloads().size() == 1);
    CHECK(http.payloads()[0]->items == 4);
    ExportMetricsServiceRequest got;
    REQUIRE(got.ParseFromString(http.payloads()[0]->bytes));
    REQUIRE(got.resource_metrics(0).scope_metrics(0).metrics_size() == 2);
    CHECK(got.resource_metrics(0).scope_metrics(0).metrics(1).name() == "http.client.duration");
    CHECK(rest.items() == 2);
  }
}

TEST_CASE("routing: first match per resource, default for the rest, whole requests untouched") {
  test::Sink a, b, def;
  Config cfg = Decode(R"(
default_pipelines: [traces/d]
table:
  - condition: attributes["service.name"] == "checkout"
    pipelines: [traces/a]
  - statement: route() where IsMatch(attributes["service.name"], "^c")
    pipelines: [traces/b]
)");
  cfg.table[0].consumer = &a;
  cfg.table[1].consumer = &b;
  Telemetry telemetry;
  RoutingConnector conn(Signal::kTraces, std::move(cfg), &def, telemetry.Register("connector", "routing"));
  REQUIRE(conn.Consume(Request({"checkout", "cart", "search", "checkout"})).ok());
  CHECK(Services(a) == std::vector<std::string>{"checkout", "checkout"});
  CHECK(Services(b) == std::vector<std::string>{"cart"});  // matched the second route only: first match wins
  CHECK(Services(def) == std::vector<std::string>{"search"});
  CHECK(a.items() == 2);

  PayloadPtr whole = Request({"checkout"});
  REQUIRE(conn.Consume(whole).ok());
  CHECK(a.payloads().back() == whole);  // the same payload, not a copy
}

TEST_CASE("routing: request context on client metadata; no default drops") {
  test::Sink a;
  Config cfg = Decode(R"(
table:
  - context: request
    condition: request["X-Tenant"] == "acme"
    pipelines: [traces/a]
)");
  cfg.table[0].consumer = &a;
  Telemetry telemetry;
  RoutingConnector conn(Signal::kTraces, std::move(cfg), nullptr, telemetry.Register("connector", "routing"));
  auto md = std::make_shared<const Metadata>(Metadata{{"x-tenant", "acme"}});
  REQUIRE(conn.Consume(Request({"x", "y"}, md)).ok());
  REQUIRE(conn.Consume(Request({"z"})).ok());
  CHECK(Services(a) == std::vector<std::string>{"x", "y"});
}

TEST_CASE("routing: a downstream refusal goes back upstream") {
  test::Sink a;
  a.SetRefuse([] { return Status::Unavailable("full"); });
  Config cfg = Decode("table: [{condition: 'true', pipelines: [traces/a]}]");
  cfg.table[0].consumer = &a;
  Telemetry telemetry;
  RoutingConnector conn(Signal::kTraces, std::move(cfg), nullptr, telemetry.Register("connector", "routing"));
  Status s = conn.Consume(Request({"x"}));
  CHECK(s.retryable());
}

TEST_CASE("routing: datapoint context cuts a metric between routes, each part with the metric's header") {
  test::Sink big, rest;
  Config cfg = Decode(R"(
default_pipelines: [metrics/rest]
table:
  - context: metric
    condition: name == "whole"
    pipelines: [metrics/rest]
  - context: datapoint
    condition: value_int > 10
    pipelines: [metrics/big]
)");
  cfg.table[0].consumer = &rest;
  cfg.table[1].consumer = &big;
  Telemetry telemetry;
  RoutingConnector conn(Signal::kMetrics, std::move(cfg), &rest, telemetry.Register("connector", "routing"));
  ExportMetricsServiceRequest req;
  auto* sm = req.add_resource_metrics()->add_scope_metrics();
  sm->mutable_scope()->set_name("lib");
  auto* cut = sm->add_metrics();
  cut->set_name("requests");
  cut->set_unit("1");
  auto* sum = cut->mutable_sum();
  sum->set_aggregation_temporality(opentelemetry::proto::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE);
  sum->set_is_monotonic(true);
  for (int v : {5, 50, 7, 70}) sum->add_data_points()->set_as_int(v);
  auto* whole = sm->add_metrics();
  whole->set_name("whole");
  whole->mutable_gauge()->add_data_points()->set_as_int(99);  // its metric route comes first
  REQUIRE(conn.Consume(MakePayload(Signal::kMetrics, req.SerializeAsString(), 5)).ok());

  auto points = [](const test::Sink& sink) {
    std::vector<std::string> out;
    for (const auto& p : sink.payloads()) {
      ExportMetricsServiceRequest r;
      REQUIRE(r.ParseFromString(p->bytes));
      for (const auto& rm : r.resource_metrics())
        for (const auto& s : rm.scope_metrics()) {
          CHECK(s.scope().name() == "lib");
          for (const auto& m : s.metrics()) {
            if (m.has_sum()) {
              CHECK(m.unit() == "1");
              CHECK(m.sum().is_monotonic());
              CHECK(m.sum().aggregation_temporality() ==
                    opentelemetry::proto::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE);
              for (const auto& dp : m.sum().data_points())
                out.push_back(m.name() + ":" + std::to_string(dp.as_int()));
            }
            for (const auto& dp : m.gauge().data_points())
              out.push_back(m.name() + ":" + std::to_string(dp.as_int()));
          }
        }
    }
    return out;
  };
  CHECK(points(big) == std::vector<std::string>{"requests:50", "requests:70"});
  CHECK(points(rest) == std::vector<std::string>{"requests:5", "requests:7", "whole:99"});
  CHECK(big.items() == 2);
  CHECK(rest.items() == 3);
}

}  // namespace
}  // namespace otlpd::connectors::routing
