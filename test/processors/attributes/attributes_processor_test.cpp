#include "processors/attributes/attributes_processor.h"

#include <catch2/catch.hpp>
#include <map>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "processors/attributes/factory.h"
#include "processors/internal/attraction/attraction.h"
#include "test/support/config_error.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace otlpd::processors::attributes;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::common::v1::KeyValue;
namespace tracepb = opentelemetry::proto::trace::v1;

namespace {

constexpr char kPath[] = "processors.attributes";

using Attrs = std::map<std::string, AnyValue>;

AnyValue S(const std::string& s) {
  AnyValue v;
  v.set_string_value(s);
  return v;
}
AnyValue I(std::int64_t i) {
  AnyValue v;
  v.set_int_value(i);
  return v;
}

void Fill(google::protobuf::RepeatedPtrField<KeyValue>& out, const Attrs& attrs) {
  for (const auto& [k, v] : attrs) {
    auto* kv = out.Add();
    kv->set_key(k);
    *kv->mutable_value() = v;
  }
}

Attrs ToMap(const google::protobuf::RepeatedPtrField<KeyValue>& attrs) {
  Attrs m;
  for (const KeyValue& kv : attrs) m[kv.key()] = kv.value();
  return m;
}

struct SpanSpec {
  std::string service = {};
  std::string scope = "lib";
  std::string scope_version = "1.0";
  std::string name = "op";
  tracepb::Span::SpanKind kind = tracepb::Span::SPAN_KIND_SERVER;
  Attrs attrs = {};
};

// One resource (and scope) per span, so each span can carry its own service and library.
std::string Traces(const std::vector<SpanSpec>& spans) {
  ExportTraceServiceRequest req;
  for (const SpanSpec& spec : spans) {
    auto* rs = req.add_resource_spans();
    if (!spec.service.empty())
      Fill(*rs->mutable_resource()->mutable_attributes(), {{"service.name", S(spec.service)}});
    auto* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name(spec.scope);
    ss->mutable_scope()->set_version(spec.scope_version);
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, '\x07'));
    s->set_span_id(std::string(8, '\x01'));
    s->set_name(spec.name);
    s->set_kind(spec.kind);
    Fill(*s->mutable_attributes(), spec.attrs);
  }
  return req.SerializeAsString();
}

std::vector<Attrs> SpanAttrs(const std::string& bytes) {
  ExportTraceServiceRequest req;
  REQUIRE(req.ParseFromString(bytes));
  std::vector<Attrs> out;
  for (const auto& rs : req.resource_spans())
    for (const auto& ss : rs.scope_spans())
      for (const auto& s : ss.spans()) out.push_back(ToMap(s.attributes()));
  return out;
}

Config Decode(const std::string& yaml, Signal signal = Signal::kTraces) {
  config::Node node = config::ParseYaml(yaml, "attributes.yaml");
  config::MapDecoder d(node, kPath);
  return Config::Decode(d, signal);
}

std::string DecodeError(const std::string& yaml, Signal signal = Signal::kTraces) {
  return test::ConfigError([&] { Decode(yaml, signal); });
}

// Runs the processor over `bytes`; returns what reached the sink and the payload sent.
std::pair<PayloadPtr, PayloadPtr> Run(const std::string& yaml, const std::string& bytes,
                                      Signal signal = Signal::kTraces,
                                      std::shared_ptr<const Metadata> md = nullptr) {
  test::Sink sink;
  AttributesProcessor p(signal, std::make_shared<const Config>(Decode(yaml, signal)), &sink);
  REQUIRE(p.Start().ok());
  PayloadPtr in = MakePayload(signal, bytes, 1, std::move(md));
  REQUIRE(p.Consume(in).ok());
  p.Shutdown(Clock::now());
  REQUIRE(sink.payloads().size() == 1);
  return {sink.payloads()[0], in};
}

std::vector<Attrs> RunSpans(const std::string& yaml, const std::vector<SpanSpec>& spans) {
  return SpanAttrs(Run(yaml, Traces(spans)).first->bytes);
}

}  // namespace

TEST_CASE("attributes: config errors are located and use otelcol's words") {
  CHECK_THAT(DecodeError("include: {match_type: strict, services: [a]}"),
             Catch::Contains("processors.attributes.actions") &&
                 Catch::Contains("missing required field \"actions\""));
  const std::string actions = "actions: [{key: a, value: b, action: insert}]\n";
  CHECK_THAT(DecodeError(actions + "include:\n  match_type: strict\n  log_bodies: [x]\n"),
             Catch::Contains("attributes.yaml:4:") &&
                 Catch::Contains("processors.attributes.include.log_bodies") &&
                 Catch::Contains("log_bodies should not be specified for trace spans"));
  CHECK_THAT(DecodeError(actions + "include: {match_type: strict, metric_names: [x]}"),
             Catch::Contains("metric_names should not be specified for trace spans"));
  CHECK_THAT(
      DecodeError(actions + "exclude: {match_type: strict}"),
      Catch::Contains("processors.attributes.exclude") &&
          Catch::Contains(
              R"(at least one of "attributes", "libraries",  or "resources" field must be specified)"));
  CHECK_THAT(
      DecodeError(actions + "include: {match_type: strict, span_kinds: [server]}"),
      Catch::Contains("span_kinds string must match one of the standard span kinds when match_type=strict: "
                      "[     SPAN_KIND_CLIENT SPAN_KIND_CONSUMER"));
  CHECK(DecodeError(actions + "include: {match_type: regexp, span_kinds: [server]}") == "");
  CHECK_THAT(DecodeError(actions + "include: {match_type: exact, services: [a]}"),
             Catch::Contains("processors.attributes.include.match_type") &&
                 Catch::Contains("unrecognized match_type: 'exact', valid types are: [regexp strict]"));
  CHECK_THAT(DecodeError(actions + "include: {services: [a]}"),
             Catch::Contains("unrecognized match_type: ''"));
  // Attribute keys alone need no match_type.
  CHECK(DecodeError(actions + "include: {attributes: [{key: a}]}") == "");
  CHECK_THAT(DecodeError(actions + "include: {match_type: strict, attributes: [{key: \"\"}]}"),
             Catch::Contains("include.attributes[0].key") &&
                 Catch::Contains("can't have empty key in the list of attributes"));
  CHECK_THAT(DecodeError(actions + "include: {match_type: regexp, attributes: [{key: a, value: 3}]}"),
             Catch::Contains("match_type=regexp for \"a\" only supports Str, but found Int"));
  CHECK_THAT(DecodeError(actions + "include: {match_type: regexp, span_names: ['(']}"),
             Catch::Contains("include.span_names") && Catch::Contains("error parsing regexp"));
  CHECK_THAT(
      DecodeError(actions + "include: {match_type: strict, services: [a]}", Signal::kLogs),
      Catch::Contains("services, span_names, span_kinds and metric_names are not valid for log records"));
  CHECK_THAT(DecodeError(actions + "include: {match_type: strict}", Signal::kLogs),
             Catch::Contains(
                 R"(at least one of "attributes", "libraries", "span_kinds", "resources", "log_bodies", )"
                 R"("log_severity_texts" or "log_severity_number" field must be specified)"));
  CHECK_THAT(DecodeError(actions + "include: {match_type: strict, attributes: [{key: a}]}", Signal::kMetrics),
             Catch::Contains(R"("services", "attributes" and "libraries" are not valid for metrics)"));
  CHECK_THAT(DecodeError(actions + "include: {match_type: strict}", Signal::kMetrics),
             Catch::Contains(R"(at least one of "metric_names" or "resources" field must be specified)"));
  CHECK_THAT(DecodeError(actions + "include: {match_type: strict, services: [a], bogus: 1}"),
             Catch::Contains("bogus"));
  // The action rules are the shared attraction ones.
  CHECK_THAT(DecodeError("actions: [{key: a, action: insert}]"), Catch::Contains("actions[0].value"));
  CHECK_THAT(
      DecodeError("actions: [{key: a, value: 1, action: insert}, {key: u, pattern: '(x)', action: extract}]"),
      Catch::Contains("processors.attributes.actions[1].pattern: error with key \"u\" (1-th action): error "
                      "creating AttrProc. Field \"pattern\" contains at least one unnamed matcher group"));
  CHECK_THAT(
      DecodeError("actions: [{action: insert, value: 1}]"),
      Catch::Contains("actions[0].key: error creating AttrProc due to missing required field \"key\" at the "
                      "0-th action"));
  // default_value is ignored, not refused, where otelcol ignores it.
  CHECK(DecodeError("actions: [{key: a, default_value: 1, action: delete}]") == "");
  CHECK_THAT(DecodeError("actions: [{key: a, action: frobnicate}]"),
             Catch::Contains("actions[0].action") && Catch::Contains("unsupported action"));
  CHECK(DecodeError(actions +
                    "include: {match_type: regexp, regexp: {cacheenabled: true, cachemaxnumentries: 10}, "
                    "services: [a]}") == "");
}

TEST_CASE("attributes: every action on span attributes, resource untouched") {
  const std::string yaml = R"(actions:
  - {key: env, value: prod, action: insert}
  - {key: http.method, value: POST, action: insert}
  - {key: http.status, value: 500, action: update}
  - {key: absent, value: x, action: update}
  - {key: copied, from_attribute: http.method, action: upsert}
  - {key: secret, action: delete}
  - {pattern: ^tmp\., action: delete}
  - {key: user, action: hash}
  - {key: blank, action: hash}
  - {key: url, pattern: '^/(?P<api>\w+)/(?P<version>v\d)', action: extract}
  - {key: count, converted_type: int, action: convert}
)";
  auto out = RunSpans(yaml, {{.service = "svc",
                              .attrs = {{"http.method", S("GET")},
                                        {"http.status", S("200")},
                                        {"secret", S("s")},
                                        {"tmp.a", S("1")},
                                        {"tmp.b", S("2")},
                                        {"user", S("alice")},
                                        {"blank", S("")},
                                        {"url", S("/users/v2/list")},
                                        {"count", S("42")}}}});
  REQUIRE(out.size() == 1);
  Attrs& a = out[0];
  CHECK(a.at("env").string_value() == "prod");
  CHECK(a.at("http.method").string_value() == "GET");
  CHECK(a.at("http.status").int_value() == 500);
  CHECK(a.count("absent") == 0);
  CHECK(a.at("copied").string_value() == "GET");
  CHECK(a.count("secret") == 0);
  CHECK(a.count("tmp.a") == 0);
  CHECK(a.count("tmp.b") == 0);
  CHECK(a.at("user").string_value() == processors::attraction::Sha256Hex("alice"));
  CHECK(a.at("blank").string_value() == processors::attraction::Sha256Hex(""));  // "" is hashed too
  CHECK(a.at("api").string_value() == "users");
  CHECK(a.at("version").string_value() == "v2");
  CHECK(a.at("count").int_value() == 42);

  ExportTraceServiceRequest req;
  REQUIRE(req.ParseFromString(Run(yaml, Traces({{.service = "svc"}})).first->bytes));
  CHECK(ToMap(req.resource_spans(0).resource().attributes()).size() == 1);  // only service.name
}

TEST_CASE("attributes: from_context reads client metadata") {
  auto md = std::make_shared<const Metadata>(Metadata{{"x-tenant", "acme"}});
  auto [out, in] = Run("actions: [{key: tenant, from_context: metadata.x-tenant, action: upsert}]",
                       Traces({{.service = "a"}}), Signal::kTraces, md);
  CHECK(SpanAttrs(out->bytes)[0].at("tenant").string_value() == "acme");
}

TEST_CASE("attributes: a request no action changes passes through as the same bytes") {
  auto [out, in] = Run("actions: [{key: gone, action: delete}, {key: x, value: 1, action: update}]",
                       Traces({{.service = "a", .attrs = {{"k", S("v")}}}}));
  CHECK(out == in);
  // Excluded items are not touched either.
  auto [out2, in2] = Run("actions: [{key: k, action: delete}]\nexclude: {match_type: strict, services: [a]}",
                         Traces({{.service = "a", .attrs = {{"k", S("v")}}}}));
  CHECK(out2 == in2);
}

TEST_CASE("attributes: include/exclude on spans") {
  const std::string upsert = "actions: [{key: hit, value: true, action: upsert}]\n";
  auto hits = [&](const std::string& match, const std::vector<SpanSpec>& spans) {
    std::vector<bool> r;
    for (const Attrs& a : RunSpans(upsert + match, spans)) r.push_back(a.count("hit") == 1);
    return r;
  };
  using V = std::vector<bool>;
  CHECK(hits("include: {match_type: strict, services: [a, b]}",
             {{.service = "a"}, {.service = "c"}, {.service = "b"}, {}}) == V{true, false, true, false});
  // A span without service.name is "<nil-service-name>" to the matcher.
  CHECK(hits("include: {match_type: strict, services: ['<nil-service-name>']}", {{.service = "a"}, {}}) ==
        V{false, true});
  // regexp is an unanchored search.
  CHECK(hits("include: {match_type: regexp, span_names: ['^GET ', 'health']}",
             {{.name = "GET /a"}, {.name = "POST /healthz"}, {.name = "PUT /b"}}) == V{true, true, false});
  CHECK(hits("exclude: {match_type: strict, span_kinds: [SPAN_KIND_CLIENT]}",
             {{.kind = tracepb::Span::SPAN_KIND_CLIENT}, {.kind = tracepb::Span::SPAN_KIND_SERVER}}) ==
        V{false, true});
  // Attributes: keys must all exist; strict values compare type and value.
  CHECK(hits("include: {match_type: strict, attributes: [{key: code, value: 200}, {key: m}]}",
             {{.attrs = {{"code", I(200)}, {"m", S("x")}}},
              {.attrs = {{"code", S("200")}, {"m", S("x")}}},
              {.attrs = {{"code", I(200)}}}}) == V{true, false, false});
  // regexp values see ints as text.
  CHECK(
      hits("include: {match_type: regexp, attributes: [{key: code, value: '^5'}]}",
           {{.attrs = {{"code", I(503)}}}, {.attrs = {{"code", I(200)}}}, {.attrs = {{"code", S("5xx")}}}}) ==
      V{true, false, true});
  CHECK(hits("include: {match_type: strict, libraries: [{name: lib, version: '2.0'}, {name: other}]}",
             {{.scope = "lib", .scope_version = "2.0"},
              {.scope = "lib", .scope_version = "1.0"},
              {.scope = "other", .scope_version = "9"}}) == V{true, false, true});
  CHECK(hits("include: {match_type: strict, resources: [{key: service.name, value: a}]}",
             {{.service = "a"}, {.service = "b"}}) == V{true, false});
  // AND across properties, and include + exclude together.
  CHECK(hits("include: {match_type: strict, services: [a], span_names: [op]}\n"
             "exclude: {match_type: strict, attributes: [{key: skip}]}",
             {{.service = "a"},
              {.service = "a", .name = "x"},
              {.service = "a", .attrs = {{"skip", S("1")}}}}) == V{true, false, false});
}

TEST_CASE("attributes: metrics change every data point of selected metrics") {
  namespace metricspb = opentelemetry::proto::metrics::v1;
  ExportMetricsServiceRequest req;
  auto* rm = req.add_resource_metrics();
  Fill(*rm->mutable_resource()->mutable_attributes(), {{"service.name", S("svc")}});
  auto* sm = rm->add_scope_metrics();
  auto add = [&](const std::string& name) {
    auto* m = sm->add_metrics();
    m->set_name(name);
    return m;
  };
  add("g")->mutable_gauge()->add_data_points()->set_as_int(1);
  auto* sum = add("s")->mutable_sum();
  sum->add_data_points()->set_as_double(1);
  sum->add_data_points()->set_as_double(2);
  add("h")->mutable_histogram()->add_data_points()->set_count(1);
  add("e")->mutable_exponential_histogram()->add_data_points()->set_count(1);
  add("su")->mutable_summary()->add_data_points()->set_count(1);
  add("skipped")->mutable_gauge()->add_data_points()->set_as_int(1);

  auto [out, in] =
      Run("actions: [{key: dp, value: yes, action: insert}]\n"
          "exclude: {match_type: regexp, metric_names: ['^skip']}",
          req.SerializeAsString(), Signal::kMetrics);
  ExportMetricsServiceRequest got;
  REQUIRE(got.ParseFromString(out->bytes));
  const auto& ms = got.resource_metrics(0).scope_metrics(0).metrics();
  REQUIRE(ms.size() == 6);
  CHECK(ToMap(ms[0].gauge().data_points(0).attributes()).at("dp").string_value() == "yes");
  CHECK(ToMap(ms[1].sum().data_points(0).attributes()).count("dp") == 1);
  CHECK(ToMap(ms[1].sum().data_points(1).attributes()).count("dp") == 1);
  CHECK(ToMap(ms[2].histogram().data_points(0).attributes()).count("dp") == 1);
  CHECK(ToMap(ms[3].exponential_histogram().data_points(0).attributes()).count("dp") == 1);
  CHECK(ToMap(ms[4].summary().data_points(0).attributes()).count("dp") == 1);
  CHECK(ms[5].gauge().data_points(0).attributes().empty());
  CHECK(got.resource_metrics(0).resource().attributes().size() == 1);

  // otelcol v0.161 validates `resources` for metrics but never matches on
  // them: a section with only resources selects every metric.
  auto [out2, in2] =
      Run("actions: [{key: dp, value: yes, action: insert}]\n"
          "include: {match_type: regexp, resources: [{key: service.name, value: 3}]}",
          req.SerializeAsString(), Signal::kMetrics);
  ExportMetricsServiceRequest got2;
  REQUIRE(got2.ParseFromString(out2->bytes));
  CHECK(ToMap(got2.resource_metrics(0).scope_metrics(0).metrics(5).gauge().data_points(0).attributes())
            .count("dp") == 1);
}

TEST_CASE("attributes: logs with body and severity matching") {
  ExportLogsServiceRequest req;
  auto* sl = req.add_resource_logs()->add_scope_logs();
  auto add = [&](const std::string& body, const std::string& text, int number) {
    auto* l = sl->add_log_records();
    l->mutable_body()->set_string_value(body);
    l->set_severity_text(text);
    l->set_severity_number(static_cast<opentelemetry::proto::logs::v1::SeverityNumber>(number));
  };
  add("GET /health ok", "INFO", 9);
  add("user login", "INFO", 9);
  add("disk full", "ERROR", 17);
  add("no severity", "", 0);
  auto hits = [&](const std::string& match) {
    auto [out, in] = Run("actions: [{key: hit, value: 1, action: upsert}]\n" + match, req.SerializeAsString(),
                         Signal::kLogs);
    ExportLogsServiceRequest got;
    REQUIRE(got.ParseFromString(out->bytes));
    std::vector<bool> r;
    for (const auto& l : got.resource_logs(0).scope_logs(0).log_records())
      r.push_back(l.attributes_size() == 1);
    return r;
  };
  using V = std::vector<bool>;
  CHECK(hits("exclude: {match_type: regexp, log_bodies: [health]}") == V{false, true, true, true});
  CHECK(hits("include: {match_type: strict, log_severity_texts: [ERROR]}") == V{false, false, true, false});
  CHECK(hits("include: {log_severity_number: {min: 13}}") == V{false, false, true, false});
  CHECK(hits("include: {log_severity_number: {min: 13, match_undefined: true}}") ==
        V{false, false, true, true});
}

TEST_CASE("attributes: factory builds for every signal and rejects a wrong section for it") {
  config::Node node = config::ParseYaml(
      "actions: [{key: a, value: b, action: insert}]\ninclude: {match_type: strict, services: [x]}",
      "a.yaml");
  test::Sink sink;
  CreateContext ctx{.id = {}, .path = kPath};
  CHECK(AttributesProcessorFactory().create(ctx, node, Signal::kTraces, &sink) != nullptr);
  CHECK_THROWS_AS(AttributesProcessorFactory().create(ctx, node, Signal::kLogs, &sink), config::Error);
  CHECK_THROWS_AS(AttributesProcessorFactory().create(ctx, node, Signal::kMetrics, &sink), config::Error);
}

TEST_CASE("attributes: malformed bytes are an error, nothing forwarded") {
  test::Sink sink;
  AttributesProcessor p(
      Signal::kTraces,
      std::make_shared<const Config>(Decode("actions: [{key: a, value: b, action: insert}]")), &sink);
  CHECK_FALSE(p.Consume(MakePayload(Signal::kTraces, std::string("\x0a\x05\x01", 3), 1)).ok());
  CHECK(sink.payloads().empty());
}
