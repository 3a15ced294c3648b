// The filter processor on real serialized requests: what it drops, how it
// prunes, error modes, and otelcol's config validation messages.
#include "processors/filter/filter_processor.h"

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test/support/config_error.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace otlpd::processors::filter;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

namespace {

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "test.yaml");
  config::MapDecoder d(node, "processors.filter");
  return Config::Decode(d);
}

std::string DecodeError(const std::string& yaml) {
  return test::ConfigError([&] { Decode(yaml); });
}

void Str(opentelemetry::proto::common::v1::KeyValue* kv, const std::string& k, const std::string& v) {
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

// Two resources (svc a, svc b), each with one scope of three spans named
// "<svc>-0".."<svc>-2"; span 1 has route /health, span 2 has two events.
ExportTraceServiceRequest Traces() {
  ExportTraceServiceRequest req;
  for (std::string svc : {"a", "b"}) {
    auto* rs = req.add_resource_spans();
    Str(rs->mutable_resource()->add_attributes(), "service.name", svc);
    auto* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name("lib");
    for (int i = 0; i < 3; ++i) {
      auto* s = ss->add_spans();
      s->set_name(svc + "-" + std::to_string(i));
      s->set_trace_id(std::string(16, static_cast<char>(i + 1)));
      s->set_span_id(std::string(8, static_cast<char>(i + 1)));
      if (i == 1) Str(s->add_attributes(), "http.route", "/health");
      if (i == 2) {
        s->add_events()->set_name("keep");
        s->add_events()->set_name("drop");
      }
    }
  }
  return req;
}

struct Harness {
  explicit Harness(const std::string& yaml, Signal signal = Signal::kTraces)
      : processor(signal, std::make_shared<const Config>(Decode(yaml)), &sink, &telemetry) {}
  test::Sink sink;
  ComponentTelemetry telemetry;
  FilterProcessor processor;
};

std::vector<std::string> SpanNames(const std::string& bytes) {
  ExportTraceServiceRequest req;
  REQUIRE(req.ParseFromString(bytes));
  std::vector<std::string> out;
  for (const auto& rs : req.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& s : ss.spans()) out.push_back(s.name());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("filter drops matching spans and prunes emptied scopes and resources") {
  Harness h(R"(
traces:
  span:
    - 'attributes["http.route"] == "/health"'
    - 'resource.attributes["service.name"] == "b"'
)");
  PayloadPtr in = MakePayload(Signal::kTraces, Traces().SerializeAsString(), 6);
  REQUIRE(h.processor.Consume(in).ok());
  REQUIRE(h.sink.payloads().size() == 1);
  PayloadPtr out = h.sink.payloads()[0];
  CHECK(SpanNames(out->bytes) == std::vector<std::string>{"a-0", "a-2"});
  CHECK(out->items == 2);
  ExportTraceServiceRequest req;
  REQUIRE(req.ParseFromString(out->bytes));
  CHECK(req.resource_spans_size() == 1);  // resource b lost all its spans
  CHECK(h.telemetry[Signal::kTraces].dropped == 4);
}

TEST_CASE("filter passes untouched bytes on when nothing matches, and other signals through") {
  Harness h("traces:\n  span:\n    - 'name == \"nope\"'\n");
  PayloadPtr in = MakePayload(Signal::kTraces, Traces().SerializeAsString(), 6);
  REQUIRE(h.processor.Consume(in).ok());
  REQUIRE(h.sink.payloads().size() == 1);
  CHECK(h.sink.payloads()[0] == in);  // the very same payload

  Harness logs("traces:\n  span:\n    - 'name == \"a-0\"'\n", Signal::kLogs);
  PayloadPtr l = MakePayload(Signal::kLogs, "\x0a\x00", 0);
  REQUIRE(logs.processor.Consume(l).ok());
  CHECK(logs.sink.payloads()[0] == l);
}

TEST_CASE("filter does not send on a request it empties") {
  Harness h("traces:\n  resource:\n    - 'attributes[\"service.name\"] != nil'\n");
  REQUIRE(h.processor.Consume(MakePayload(Signal::kTraces, Traces().SerializeAsString(), 6)).ok());
  CHECK(h.sink.calls() == 0);
  CHECK(h.telemetry[Signal::kTraces].dropped == 6);
}

TEST_CASE("filter drops span events without removing the span") {
  Harness h("traces:\n  spanevent:\n    - 'name == \"drop\" and span.name == \"a-2\"'\n");
  REQUIRE(h.processor.Consume(MakePayload(Signal::kTraces, Traces().SerializeAsString(), 6)).ok());
  ExportTraceServiceRequest req;
  REQUIRE(req.ParseFromString(h.sink.payloads()[0]->bytes));
  CHECK(req.resource_spans(0).scope_spans(0).spans(2).events_size() == 1);
  CHECK(req.resource_spans(1).scope_spans(0).spans(2).events_size() == 2);
  CHECK(h.sink.payloads()[0]->items == 6);
}

TEST_CASE("filter error modes") {
  // Int("x") fails on every span: ignore and silent count it as false.
  for (const char* mode : {"ignore", "silent"}) {
    Harness h(std::string("error_mode: ") + mode +
              "\ntraces:\n  span:\n    - 'Int(name) == 1'\n    - 'name == \"a-0\"'\n");
    REQUIRE(h.processor.Consume(MakePayload(Signal::kTraces, Traces().SerializeAsString(), 6)).ok());
    CHECK(SpanNames(h.sink.payloads()[0]->bytes).size() == 5);
  }
  Harness p("error_mode: propagate\ntraces:\n  span:\n    - 'Int(name) == 1'\n");
  Status s = p.processor.Consume(MakePayload(Signal::kTraces, Traces().SerializeAsString(), 6));
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("failed to eval condition: Int(name) == 1, strconv.ParseInt") == 0);
  CHECK(p.sink.calls() == 0);
  // A malformed request is refused, not passed on.
  Harness m("traces:\n  span:\n    - 'name == \"x\"'\n");
  CHECK(m.processor.Consume(MakePayload(Signal::kTraces, "\xff\xff", 1)).code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("filter metrics: data points, emptied metrics, and metrics without data") {
  ExportMetricsServiceRequest req;
  auto* sm = req.add_resource_metrics()->add_scope_metrics();
  auto* g = sm->add_metrics();
  g->set_name("gauge");
  for (int i = 0; i < 3; ++i) g->mutable_gauge()->add_data_points()->set_as_int(i);
  auto* s = sm->add_metrics();
  s->set_name("sum");
  s->mutable_sum()->add_data_points()->set_as_double(0.5);
  sm->add_metrics()->set_name("empty");  // no data type: kept
  Harness h("metrics:\n  datapoint:\n    - 'value_int == 1 or value_double == 0.5'\n", Signal::kMetrics);
  REQUIRE(h.processor.Consume(MakePayload(Signal::kMetrics, req.SerializeAsString(), 4)).ok());
  ExportMetricsServiceRequest out;
  REQUIRE(out.ParseFromString(h.sink.payloads()[0]->bytes));
  const auto& metrics = out.resource_metrics(0).scope_metrics(0).metrics();
  REQUIRE(metrics.size() == 2);
  CHECK(metrics[0].gauge().data_points_size() == 2);
  CHECK(metrics[1].name() == "empty");
  CHECK(h.sink.payloads()[0]->items == 2);

  Harness mm("metric_conditions:\n  - 'metric.name == \"gauge\"'\n", Signal::kMetrics);
  REQUIRE(mm.processor.Consume(MakePayload(Signal::kMetrics, req.SerializeAsString(), 4)).ok());
  REQUIRE(out.ParseFromString(mm.sink.payloads()[0]->bytes));
  CHECK(out.resource_metrics(0).scope_metrics(0).metrics_size() == 2);
}

TEST_CASE("filter logs, flat and grouped") {
  ExportLogsServiceRequest req;
  auto* sl = req.add_resource_logs()->add_scope_logs();
  for (auto [body, sev] : {std::pair{"debug noise", 5}, std::pair{"real error", 17}}) {
    auto* l = sl->add_log_records();
    l->mutable_body()->set_string_value(body);
    l->set_severity_number(static_cast<opentelemetry::proto::logs::v1::SeverityNumber>(sev));
  }
  for (const char* yaml :
       {"logs:\n  log_record:\n    - 'severity_number < SEVERITY_NUMBER_INFO'\n",
        "log_conditions:\n  - context: log\n    conditions: ['IsMatch(body, \"noise\")']\n",
        "log_conditions:\n  - 'log.severity_number < SEVERITY_NUMBER_INFO'\n"}) {
    Harness h(yaml, Signal::kLogs);
    REQUIRE(h.processor.Consume(MakePayload(Signal::kLogs, req.SerializeAsString(), 2)).ok());
    ExportLogsServiceRequest out;
    REQUIRE(out.ParseFromString(h.sink.payloads()[0]->bytes));
    REQUIRE(out.resource_logs(0).scope_logs(0).log_records_size() == 1);
    CHECK(out.resource_logs(0).scope_logs(0).log_records(0).body().string_value() == "real error");
  }
}

TEST_CASE("filter config: otelcol's validation messages, located") {
  CHECK(
      DecodeError("traces:\n  span: ['name == \"x\"']\nspans:\n  include:\n    match_type: strict\n")
          .find("cannot use \"traces.resource\", \"traces.span\", \"traces.spanevent\" and the span settings "
                "\"spans.include\", \"spans.exclude\" at the same time") != std::string::npos);
  CHECK(DecodeError("logs:\n  log_record: ['body == \"x\"']\n  exclude:\n    match_type: strict\n")
            .find("cannot use \"logs.resource\", \"logs.log\" and the settings \"logs.include\", "
                  "\"logs.exclude\" at "
                  "the same time") != std::string::npos);
  CHECK(DecodeError("trace_conditions: ['span.name == \"x\"']\ntraces:\n  span: ['name == \"x\"']\n")
            .find("cannot use context inferred trace conditions \"trace_conditions\"") != std::string::npos);
  CHECK(DecodeError("error_mode: loud\n").find("unknown error mode loud") != std::string::npos);
  CHECK(DecodeError("trace_conditions:\n  - 'span.name == \"x\"'\n  - context: span\n    conditions: []\n")
            .find("configuring multiple configuration styles is not supported") != std::string::npos);
  CHECK(DecodeError("trace_conditions:\n  - context: spam\n    conditions: []\n")
            .find("unknown context spam") != std::string::npos);
  CHECK(DecodeError("trace_conditions:\n  - context: log\n    conditions: ['body == nil']\n")
            .find("is not a traces context") != std::string::npos);
  CHECK(DecodeError("traces:\n  span:\n    -\n").find("condition cannot be empty") != std::string::npos);
  CHECK(DecodeError("traces:\n  spans: []\n").find("spans") != std::string::npos);  // unknown key
  CHECK(DecodeError("spans:\n  exclude:\n    match_type: strict\n").find("not supported by otlpd") !=
        std::string::npos);
  // A bad condition names its file, line and column, and the key path.
  const std::string err = DecodeError("traces:\n  span:\n    - 'name == \"a\"'\n    - 'nme == \"b\"'\n");
  CHECK(err.find("test.yaml:4:7: processors.filter.traces.span[1]: invalid condition") == 0);
  CHECK(err.find("path \"nme\" is not a valid path for the span context") != std::string::npos);
  CHECK(DecodeError("trace_conditions: ['name == \"x\"']\n").find("unable to infer context") !=
        std::string::npos);
}
