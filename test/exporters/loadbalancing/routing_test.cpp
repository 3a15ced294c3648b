// Splitting requests on the wire per routing identifier, and the identifiers
// themselves. Expected identity strings come from contrib's own code
// (internal/exp/metrics/identity and pkg/pdatautil at v0.161.0, run on the
// same data built with pdata).
#include "exporters/loadbalancing/routing.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "exporters/loadbalancing/identity.h"
#include "internal/xxhash64.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

using namespace otlpd;
using namespace otlpd::exporters::loadbalancing;
namespace tracepb = opentelemetry::proto::collector::trace::v1;
namespace logspb = opentelemetry::proto::collector::logs::v1;
namespace metricspb = opentelemetry::proto::collector::metrics::v1;
namespace commonpb = opentelemetry::proto::common::v1;

namespace {

void PutStr(google::protobuf::RepeatedPtrField<commonpb::KeyValue>* attrs, const std::string& k,
            const std::string& v) {
  auto* kv = attrs->Add();
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

std::string Tid(int i) { return std::string(15, '\0') + static_cast<char>(i); }

// Records every identifier and gives each distinct one its own destination.
struct Recorder {
  std::vector<std::string> ids;
  Chooser chooser() {
    return [this](std::string_view id) {
      ids.emplace_back(id);
      return static_cast<int>(ids.size() - 1);
    };
  }
};

Result<RouteResult> RouteOf(Signal s, RoutingKey k, const std::string& bytes, const Chooser& c,
                            std::vector<std::string> attrs = {}) {
  RouteOptions o;
  o.signal = s;
  o.key = k;
  o.attributes = std::move(attrs);
  o.random = [] { return 0x04030201u; };
  return Route(o, bytes, c);
}

}  // namespace

TEST_CASE("XXH64 reference values") {
  CHECK(XxHash64("") == 0xEF46DB3751D8E999ULL);
  CHECK(XxHash64("a") == 0xD24EC4F1A98C6E5BULL);
  CHECK(XxHash64("abc") == 0x44BC2CF5AD770999ULL);
}

TEST_CASE("traces by traceID: every span goes with its trace, resources and scopes kept") {
  tracepb::ExportTraceServiceRequest req;
  for (int r = 0; r < 2; ++r) {
    auto* rs = req.add_resource_spans();
    PutStr(rs->mutable_resource()->mutable_attributes(), "service.name", "svc" + std::to_string(r));
    rs->set_schema_url("https://schema/" + std::to_string(r));
    auto* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name("lib");
    for (int i = 0; i < 6; ++i) {
      auto* sp = ss->add_spans();
      sp->set_trace_id(Tid(i % 3));
      sp->set_span_id(std::string(8, static_cast<char>(r * 10 + i + 1)));
      sp->set_name("s" + std::to_string(r) + "-" + std::to_string(i));
    }
  }
  Recorder rec;
  auto routed = RouteOf(Signal::kTraces, RoutingKey::kTraceId, req.SerializeAsString(), rec.chooser());
  REQUIRE(routed.ok());
  CHECK(rec.ids == std::vector<std::string>{Tid(0), Tid(1), Tid(2)});  // raw 16 bytes, once each
  REQUIRE(routed->parts.size() == 3);
  CHECK_FALSE(routed->whole);
  for (const Part& p : routed->parts) {
    tracepb::ExportTraceServiceRequest got;
    REQUIRE(got.ParseFromString(p.bytes));
    CHECK(p.items == 4);
    REQUIRE(got.resource_spans_size() == 2);
    for (int r = 0; r < 2; ++r) {
      const auto& rs = got.resource_spans(r);
      CHECK(rs.schema_url() == "https://schema/" + std::to_string(r));
      CHECK(rs.resource().attributes(0).value().string_value() == "svc" + std::to_string(r));
      REQUIRE(rs.scope_spans_size() == 1);
      CHECK(rs.scope_spans(0).scope().name() == "lib");
      REQUIRE(rs.scope_spans(0).spans_size() == 2);
      for (const auto& sp : rs.scope_spans(0).spans()) CHECK(sp.trace_id() == Tid(p.destination));
    }
  }
  // All to one destination: the request goes as it is.
  auto one = RouteOf(Signal::kTraces, RoutingKey::kTraceId, req.SerializeAsString(),
                     [](std::string_view) { return 7; });
  REQUIRE(one.ok());
  CHECK(one->whole);
  REQUIRE(one->parts.size() == 1);
  CHECK(one->parts[0].destination == 7);
}

TEST_CASE("traces by service: per trace, then one identifier per resource of that trace") {
  tracepb::ExportTraceServiceRequest req;
  auto* a = req.add_resource_spans();
  PutStr(a->mutable_resource()->mutable_attributes(), "service.name", "frontend");
  auto* as = a->add_scope_spans();
  as->add_spans()->set_trace_id(Tid(1));
  as->add_spans()->set_trace_id(Tid(2));
  auto* b = req.add_resource_spans();
  PutStr(b->mutable_resource()->mutable_attributes(), "service.name", "checkout");
  b->add_scope_spans()->add_spans()->set_trace_id(Tid(1));
  std::map<std::string, int> dest{{"service.name=frontend|", 0}, {"service.name=checkout|", 1}};
  std::vector<std::string> seen;
  auto routed =
      RouteOf(Signal::kTraces, RoutingKey::kService, req.SerializeAsString(), [&](std::string_view id) {
        seen.emplace_back(id);
        return dest.at(std::string(id));
      });
  REQUIRE(routed.ok());
  CHECK(seen == std::vector<std::string>{"service.name=frontend|", "service.name=checkout|"});
  REQUIRE(routed->parts.size() == 2);
  // Trace 1 spans both services: it goes whole to both backends (as contrib).
  std::map<int, std::multiset<std::string>> traces;
  for (const Part& p : routed->parts) {
    tracepb::ExportTraceServiceRequest got;
    REQUIRE(got.ParseFromString(p.bytes));
    for (const auto& rs : got.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& sp : ss.spans()) traces[p.destination].insert(sp.trace_id());
  }
  CHECK(traces[0] == std::multiset<std::string>{Tid(1), Tid(1), Tid(2)});
  CHECK(traces[1] == std::multiset<std::string>{Tid(1), Tid(1)});
}

TEST_CASE("traces by attributes: resource, first scope, pseudo attributes, first span, missing") {
  tracepb::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  PutStr(rs->mutable_resource()->mutable_attributes(), "tenant", "acme");
  auto* ss = rs->add_scope_spans();
  PutStr(ss->mutable_scope()->mutable_attributes(), "scope.attr", "x");
  auto* sp = ss->add_spans();
  sp->set_trace_id(Tid(1));
  sp->set_name("GET /");
  sp->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
  auto* kv = sp->add_attributes();
  kv->set_key("http.status");
  kv->mutable_value()->set_int_value(200);
  Recorder rec;
  auto routed = RouteOf(Signal::kTraces, RoutingKey::kAttributes, req.SerializeAsString(), rec.chooser(),
                        {"tenant", "scope.attr", "span.kind", "span.name", "http.status", "absent"});
  REQUIRE(routed.ok());
  CHECK(rec.ids == std::vector<std::string>{
                       "tenant=acme|scope.attr=x|span.kind=Server|span.name=GET /|http.status=200|absent=|"});
}

TEST_CASE("logs: by service (resource whole), by traceID (hex, random when empty), by resource") {
  logspb::ExportLogsServiceRequest req;
  auto* a = req.add_resource_logs();
  PutStr(a->mutable_resource()->mutable_attributes(), "service.name", "checkout");
  auto* sl = a->add_scope_logs();
  sl->add_log_records()->set_trace_id(Tid(0x1f));
  sl->add_log_records();              // no trace id
  auto* b = req.add_resource_logs();  // no service.name
  b->add_scope_logs()->add_log_records()->set_trace_id(Tid(0x1f));
  const std::string bytes = req.SerializeAsString();

  Recorder svc;
  auto by_service = RouteOf(Signal::kLogs, RoutingKey::kService, bytes, svc.chooser());
  REQUIRE(by_service.ok());
  CHECK(svc.ids == std::vector<std::string>{"checkout", ""});
  REQUIRE(by_service->parts.size() == 2);
  CHECK(by_service->parts[0].items == 2);
  CHECK(by_service->parts[1].items == 1);

  Recorder tid;
  auto by_trace = RouteOf(Signal::kLogs, RoutingKey::kTraceId, bytes, tid.chooser());
  REQUIRE(by_trace.ok());
  CHECK(tid.ids ==
        std::vector<std::string>{"0000000000000000000000000000001f", "01020304000000000000000000000000"});
  REQUIRE(by_trace->parts.size() == 2);
  CHECK(by_trace->parts[0].items == 2);

  Recorder res;
  auto by_resource = RouteOf(Signal::kLogs, RoutingKey::kResource, bytes, res.chooser());
  REQUIRE(by_resource.ok());
  CHECK(res.ids == std::vector<std::string>{"resource/9d126046fdb6c015", "resource/88201fb960ff6465"});
}

TEST_CASE("resource identity equals contrib's for every value type") {
  opentelemetry::proto::resource::v1::Resource r;
  auto* attrs = r.mutable_attributes();
  PutStr(attrs, "service.name", "checkout");
  auto add = [&](const std::string& k) {
    auto* kv = attrs->Add();
    kv->set_key(k);
    return kv->mutable_value();
  };
  add("int")->set_int_value(42);
  add("dbl")->set_double_value(1.5);
  add("b")->set_bool_value(true);
  auto* arr = add("arr")->mutable_array_value();
  arr->add_values()->set_string_value("x");
  arr->add_values()->set_int_value(1);
  auto* m = add("m")->mutable_kvlist_value();
  auto* z = m->add_values();
  z->set_key("z");
  z->mutable_value()->set_int_value(1);
  auto* q = m->add_values();
  q->set_key("a");
  q->mutable_value()->set_string_value("q");
  add("bytes")->set_bytes_value(std::string("\x01\x02", 2));
  add("nil");
  const auto h = MapHash(r.SerializeAsString(), 1);
  std::string hex;
  for (unsigned char c : h) {
    static const char* d = "0123456789abcdef";
    hex += d[c >> 4];
    hex += d[c & 15];
  }
  CHECK(hex == "6459cbe4a25aaa93472de8196b3dd03f");
  CHECK(ResourceIdentity(r.SerializeAsString()) == "resource/a5668e261d92c240");
  CHECK(ResourceIdentity("") == "resource/88201fb960ff6465");
}

TEST_CASE("metrics: by service, metric name and stream identity") {
  metricspb::ExportMetricsServiceRequest req;
  auto* rm = req.add_resource_metrics();
  PutStr(rm->mutable_resource()->mutable_attributes(), "service.name", "checkout");
  auto* sm = rm->add_scope_metrics();
  sm->mutable_scope()->set_name("lib");
  sm->mutable_scope()->set_version("1.0");
  PutStr(sm->mutable_scope()->mutable_attributes(), "sa", "v");
  auto* met = sm->add_metrics();
  met->set_name("requests");
  met->set_unit("1");
  auto* sum = met->mutable_sum();
  sum->set_is_monotonic(true);
  sum->set_aggregation_temporality(opentelemetry::proto::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* dp = sum->add_data_points();
  PutStr(dp->mutable_attributes(), "route", "/a");
  dp->set_as_int(3);
  auto* dp2 = sum->add_data_points();
  PutStr(dp2->mutable_attributes(), "route", "/b");
  auto* g = sm->add_metrics();
  g->set_name("temp");
  g->mutable_gauge()->add_data_points()->set_as_double(1);
  auto* orphan = req.add_resource_metrics();  // no service.name: dropped by service routing
  orphan->add_scope_metrics()->add_metrics()->mutable_gauge()->add_data_points()->set_as_int(1);
  const std::string bytes = req.SerializeAsString();

  Recorder svc;
  auto by_service = RouteOf(Signal::kMetrics, RoutingKey::kService, bytes, svc.chooser());
  REQUIRE(by_service.ok());
  CHECK(svc.ids == std::vector<std::string>{"checkout"});
  CHECK(by_service->dropped_items == 1);
  REQUIRE(by_service->parts.size() == 1);
  CHECK(by_service->parts[0].items == 3);

  Recorder name;
  auto by_name = RouteOf(Signal::kMetrics, RoutingKey::kMetric, bytes, name.chooser());
  REQUIRE(by_name.ok());
  CHECK(name.ids == std::vector<std::string>{"requests", "temp", ""});

  Recorder stream;
  auto by_stream = RouteOf(Signal::kMetrics, RoutingKey::kStreamId, bytes, stream.chooser());
  REQUIRE(by_stream.ok());
  REQUIRE(stream.ids.size() >= 3);
  CHECK(stream.ids[0] == "stream/1ee60f85ef1a09a7");
  CHECK(stream.ids[1] == "stream/51f9ff65776add2");
  CHECK(stream.ids[2] == "stream/f0cdfd56196a4d07");
  // Each point travels in a copy of its metric, header kept.
  metricspb::ExportMetricsServiceRequest first;
  REQUIRE(first.ParseFromString(by_stream->parts[0].bytes));
  REQUIRE(first.resource_metrics_size() == 1);
  const auto& m0 = first.resource_metrics(0).scope_metrics(0).metrics(0);
  CHECK(first.resource_metrics(0).scope_metrics(0).scope().version() == "1.0");
  CHECK(m0.name() == "requests");
  CHECK(m0.unit() == "1");
  CHECK(m0.sum().is_monotonic());
  REQUIRE(m0.sum().data_points_size() == 1);
  CHECK(m0.sum().data_points(0).as_int() == 3);
  std::uint64_t total = 0;
  for (const Part& p : by_stream->parts) total += p.items;
  CHECK(total == 4);
}

TEST_CASE("logs by attributes: resource, then scope, then record attributes and pseudo attributes") {
  logspb::ExportLogsServiceRequest req;
  auto* whole = req.add_resource_logs();  // has both attributes: goes whole
  PutStr(whole->mutable_resource()->mutable_attributes(), "tenant", "acme");
  PutStr(whole->mutable_resource()->mutable_attributes(), "log.severity", "r");
  whole->add_scope_logs()->add_log_records();
  auto* split = req.add_resource_logs();
  PutStr(split->mutable_resource()->mutable_attributes(), "tenant", "beta");
  auto* sl = split->add_scope_logs();
  auto* a = sl->add_log_records();
  a->set_severity_text("ERROR");
  auto* b = sl->add_log_records();
  b->set_severity_text("INFO");
  auto* scoped = split->add_scope_logs();  // its scope carries the second attribute: goes whole
  PutStr(scoped->mutable_scope()->mutable_attributes(), "log.severity", "s");
  scoped->add_log_records();
  Recorder rec;
  auto routed = RouteOf(Signal::kLogs, RoutingKey::kAttributes, req.SerializeAsString(), rec.chooser(),
                        {"log.severity", "tenant"});
  REQUIRE(routed.ok());
  // Found attributes come in the order of the level they are found at.
  CHECK(rec.ids == std::vector<std::string>{"log.severity=r|tenant=acme|", "tenant=beta|log.severity=ERROR|",
                                            "tenant=beta|log.severity=INFO|", "tenant=beta|log.severity=s|"});
  REQUIRE(routed->parts.size() == 4);
  std::uint64_t items = 0;
  for (const Part& p : routed->parts) {
    logspb::ExportLogsServiceRequest got;
    REQUIRE(got.ParseFromString(p.bytes));
    REQUIRE(got.resource_logs_size() == 1);
    items += p.items;
  }
  CHECK(items == 4);
  logspb::ExportLogsServiceRequest scope_part;
  REQUIRE(scope_part.ParseFromString(routed->parts[3].bytes));
  CHECK(scope_part.resource_logs(0).resource().attributes(0).value().string_value() == "beta");
  CHECK(scope_part.resource_logs(0).scope_logs(0).scope().attributes(0).value().string_value() == "s");
}

TEST_CASE("metrics by attributes: per data point when the point holds the attribute") {
  metricspb::ExportMetricsServiceRequest req;
  auto* rm = req.add_resource_metrics();
  PutStr(rm->mutable_resource()->mutable_attributes(), "tenant", "acme");
  auto* m = rm->add_scope_metrics()->add_metrics();
  m->set_name("requests");
  auto* sum = m->mutable_sum();
  sum->set_is_monotonic(true);
  PutStr(sum->add_data_points()->mutable_attributes(), "route", "/a");
  PutStr(sum->add_data_points()->mutable_attributes(), "route", "/b");
  sum->add_data_points();  // no route
  Recorder rec;
  auto routed = RouteOf(Signal::kMetrics, RoutingKey::kAttributes, req.SerializeAsString(), rec.chooser(),
                        {"tenant", "route"});
  REQUIRE(routed.ok());
  CHECK(rec.ids ==
        std::vector<std::string>{"tenant=acme|route=/a|", "tenant=acme|route=/b|", "tenant=acme|route=|"});
  REQUIRE(routed->parts.size() == 3);
  metricspb::ExportMetricsServiceRequest got;
  REQUIRE(got.ParseFromString(routed->parts[1].bytes));
  const auto& gm = got.resource_metrics(0).scope_metrics(0).metrics(0);
  CHECK(gm.name() == "requests");
  CHECK(gm.sum().is_monotonic());
  REQUIRE(gm.sum().data_points_size() == 1);
  CHECK(gm.sum().data_points(0).attributes(0).value().string_value() == "/b");
  // Every attribute on the resource: the resource goes whole.
  Recorder whole;
  auto one = RouteOf(Signal::kMetrics, RoutingKey::kAttributes, req.SerializeAsString(), whole.chooser(),
                     {"tenant"});
  REQUIRE(one.ok());
  CHECK(whole.ids == std::vector<std::string>{"tenant=acme|"});
  CHECK(one->whole);
}
