// The transform processor on real serialized requests: flat and grouped
// statements, group conditions, error modes and config validation.
#include "processors/transform/transform_processor.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test/support/config_error.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace otlpd::processors::transform;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

namespace {

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "test.yaml");
  config::MapDecoder d(node, "processors.transform");
  return Config::Decode(d);
}

std::string DecodeError(const std::string& yaml) {
  return test::ConfigError([&] { Decode(yaml); });
}

ExportTraceServiceRequest Traces() {
  ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("checkout");
  auto* secret = rs->mutable_resource()->add_attributes();
  secret->set_key("token");
  secret->mutable_value()->set_string_value("s3cr3t");
  auto* ss = rs->add_scope_spans();
  for (const char* name : {"GET /users/123", "POST /orders/9"}) {
    auto* s = ss->add_spans();
    s->set_name(name);
    s->add_events()->set_name("e");
  }
  return req;
}

struct Harness {
  explicit Harness(const std::string& yaml, Signal signal = Signal::kTraces)
      : processor(signal, std::make_shared<const Config>(Decode(yaml)), &sink) {}
  test::Sink sink;
  TransformProcessor processor;
};

ExportTraceServiceRequest Out(Harness& h) {
  ExportTraceServiceRequest req;
  REQUIRE(h.sink.payloads().size() == 1);
  REQUIRE(req.ParseFromString(h.sink.payloads()[0]->bytes));
  return req;
}

}  // namespace

TEST_CASE("transform: flat statements with inferred context") {
  Harness h(R"(
trace_statements:
  - 'replace_pattern(span.name, "/[0-9]+", "/{id}")'
  - 'set(span.attributes["svc"], resource.attributes["service.name"]) where IsMatch(span.name, "^GET")'
)");
  REQUIRE(h.processor.Consume(MakePayload(Signal::kTraces, Traces().SerializeAsString(), 2)).ok());
  ExportTraceServiceRequest out = Out(h);
  const auto& spans = out.resource_spans(0).scope_spans(0).spans();
  CHECK(spans[0].name() == "GET /users/{id}");
  CHECK(spans[1].name() == "POST /orders/{id}");
  REQUIRE(spans[0].attributes_size() == 1);
  CHECK(spans[0].attributes(0).value().string_value() == "checkout");
  CHECK(spans[1].attributes_size() == 0);
  CHECK(h.sink.payloads()[0]->items == 2);
}

TEST_CASE("transform: groups run in order, with conditions and explicit contexts") {
  Harness h(R"(
trace_statements:
  - context: resource
    statements:
      - delete_key(attributes, "token")
  - context: span
    conditions:
      - 'name == "POST /orders/9"'
    statements:
      - 'set(attributes["order"], true)'
      - 'set(status.code, STATUS_CODE_ERROR)'
  - context: spanevent
    statements:
      - 'set(name, Concat([span.name, name], ":"))'
)");
  REQUIRE(h.processor.Consume(MakePayload(Signal::kTraces, Traces().SerializeAsString(), 2)).ok());
  ExportTraceServiceRequest out = Out(h);
  CHECK(out.resource_spans(0).resource().attributes_size() == 1);
  const auto& spans = out.resource_spans(0).scope_spans(0).spans();
  CHECK(spans[0].attributes_size() == 0);
  CHECK(spans[1].attributes(0).value().bool_value());
  CHECK(spans[1].status().code() == opentelemetry::proto::trace::v1::Status_StatusCode_STATUS_CODE_ERROR);
  CHECK(spans[0].events(0).name() == "GET /users/123:e");
}

TEST_CASE("transform: error modes") {
  const std::string statements =
      "trace_statements:\n  - 'set(span.attributes[\"n\"], Int(span.name))'\n"
      "  - 'set(span.attributes[\"after\"], 1)'\n";
  Harness ignore("error_mode: ignore\n" + statements);
  REQUIRE(ignore.processor.Consume(MakePayload(Signal::kTraces, Traces().SerializeAsString(), 2)).ok());
  ExportTraceServiceRequest out = Out(ignore);
  REQUIRE(out.resource_spans(0).scope_spans(0).spans(0).attributes_size() == 1);
  CHECK(out.resource_spans(0).scope_spans(0).spans(0).attributes(0).key() == "after");

  Harness propagate("error_mode: propagate\n" + statements);
  Status s = propagate.processor.Consume(MakePayload(Signal::kTraces, Traces().SerializeAsString(), 2));
  CHECK(s.message().find("failed to execute statement: set(span.attributes[\"n\"], Int(span.name)), ") == 0);
  CHECK(propagate.sink.calls() == 0);

  // A group's own error_mode wins over the top-level one.
  Harness group(
      "error_mode: propagate\ntrace_statements:\n  - context: span\n    error_mode: silent\n    statements:\n"
      "      - 'set(attributes[\"n\"], Int(name))'\n");
  CHECK(group.processor.Consume(MakePayload(Signal::kTraces, Traces().SerializeAsString(), 2)).ok());
}

TEST_CASE("transform: metrics and logs; a signal without statements passes through") {
  ExportMetricsServiceRequest m;
  auto* metric = m.add_resource_metrics()->add_scope_metrics()->add_metrics();
  metric->set_name("http.requests");
  metric->mutable_sum()->add_data_points()->set_as_int(3);
  // A group after flat strings is refused; flat strings after groups form a trailing group.
  CHECK(DecodeError(
            "metric_statements:\n  - 'set(metric.name, \"x\")'\n  - context: metric\n    statements: []\n")
            .find("configuring multiple configuration styles is not supported") != std::string::npos);
  Harness hm2(
      "metric_statements:\n  - context: datapoint\n    statements: ['set(value_int, value_int + 1)']\n"
      "  - 'set(metric.name, ToUpperCase(metric.name))'\n",
      Signal::kMetrics);
  REQUIRE(hm2.processor.Consume(MakePayload(Signal::kMetrics, m.SerializeAsString(), 1)).ok());
  ExportMetricsServiceRequest mo;
  REQUIRE(mo.ParseFromString(hm2.sink.payloads()[0]->bytes));
  CHECK(mo.resource_metrics(0).scope_metrics(0).metrics(0).name() == "HTTP.REQUESTS");
  CHECK(mo.resource_metrics(0).scope_metrics(0).metrics(0).sum().data_points(0).as_int() == 4);

  ExportLogsServiceRequest l;
  l.add_resource_logs()->add_scope_logs()->add_log_records()->mutable_body()->set_string_value(
      "{\"user\":\"bob\",\"level\":\"info\"}");
  Harness hl(
      "log_statements:\n  - context: log\n    statements:\n"
      "      - 'merge_maps(attributes, ParseJSON(body), \"upsert\") where IsMatch(body, \"^\\\\{\")'\n"
      "      - 'set(severity_text, ToUpperCase(attributes[\"level\"]))'\n",
      Signal::kLogs);
  REQUIRE(hl.processor.Consume(MakePayload(Signal::kLogs, l.SerializeAsString(), 1)).ok());
  ExportLogsServiceRequest lo;
  REQUIRE(lo.ParseFromString(hl.sink.payloads()[0]->bytes));
  const auto& rec = lo.resource_logs(0).scope_logs(0).log_records(0);
  CHECK(rec.attributes_size() == 2);
  CHECK(rec.severity_text() == "INFO");

  PayloadPtr t = MakePayload(Signal::kTraces, Traces().SerializeAsString(), 2);
  Harness ht("log_statements: ['set(log.body, \"x\")']\n", Signal::kTraces);
  REQUIRE(ht.processor.Consume(t).ok());
  CHECK(ht.sink.payloads()[0] == t);
}

TEST_CASE("transform config errors") {
  CHECK(
      DecodeError("trace_statements:\n  - context: span\n    statements: ['sett(name, \"x\")']\n")
          .find(
              "test.yaml:3:18: processors.transform.trace_statements[0].statements[0]: invalid statement") ==
      0);
  CHECK(DecodeError("trace_statements:\n  -\n").find("empty statement list items are not supported") !=
        std::string::npos);
  CHECK(DecodeError("flatten_data: true\n")
            .find("'flatten_data' requires the 'transform.flatten.logs' feature gate") != std::string::npos);
  CHECK(DecodeError("log_statements: ['set(span.name, \"x\")']\n").find("not a valid context") !=
        std::string::npos);
  CHECK(DecodeError("trace_statements:\n  - context: span\n    shared_cache: true\n    statements: []\n")
            .find("shared_cache") != std::string::npos);
  CHECK(DecodeError("trace_statements: ['set(span.name, Int())']\n").find("incorrect number of arguments") !=
        std::string::npos);
}
