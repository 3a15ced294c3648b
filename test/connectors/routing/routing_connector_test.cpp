#include "connectors/routing/routing_connector.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test/support/sink.h"

namespace otlpd::connectors::routing {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "test.yaml");
  config::MapDecoder d(node, "connectors.routing");
  return Config::Decode(d);
}

std::string ErrorOf(const std::string& yaml) {
  try {
    Decode(yaml);
  } catch (const config::Error& e) {
    return e.what();
  }
  return "";
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

}  // namespace
}  // namespace otlpd::connectors::routing
