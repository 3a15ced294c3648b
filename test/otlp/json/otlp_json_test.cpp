#include "otlp/json/otlp_json.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "otlp/wire/wire_walker.h"

namespace {

using otlpd::Signal;
using otlpd::StatusCode;
using otlpd::json::DecodeRequest;
using otlpd::json::EncodeMessage;
using otlpd::json::EncodeRequest;
namespace common = opentelemetry::proto::common::v1;
namespace trace = opentelemetry::proto::trace::v1;
namespace metrics = opentelemetry::proto::metrics::v1;
namespace logs = opentelemetry::proto::logs::v1;
using TraceRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using MetricsRequest = opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using LogsRequest = opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string Unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

const std::string kTraceId = Unhex("5b8efff798038103d269b633813fc60c");
const std::string kSpanId = Unhex("eee19b7ec3c1b174");
const std::string kParentId = Unhex("0102030405060708");

// Semantic equality: unset equals default, NaN equals NaN.
bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  differencer.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUIVALENT);
  std::string report;
  differencer.ReportDifferencesToString(&report);
  const bool same = differencer.Compare(a, b);
  if (!same) UNSCOPED_INFO("differences:\n" << report);
  return same;
}

std::string MustEncode(Signal signal, const google::protobuf::Message& m) {
  auto json = EncodeRequest(signal, m.SerializeAsString());
  INFO(json.status().message());
  REQUIRE(json.ok());
  return *json;
}

template <class M>
M MustDecode(Signal signal, std::string_view json) {
  auto bytes = DecodeRequest(signal, json);
  INFO(bytes.status().message());
  REQUIRE(bytes.ok());
  M m;
  REQUIRE(m.ParseFromString(*bytes));
  return m;
}

std::string DecodeError(Signal signal, std::string_view json) {
  auto bytes = DecodeRequest(signal, json);
  REQUIRE_FALSE(bytes.ok());
  CHECK(bytes.status().code() == StatusCode::kInvalidArgument);
  return bytes.status().message();
}

// encode -> decode gives the same message, and encoding that again gives the
// same JSON (the format is a fixed point).
template <class M>
void CheckRoundTrip(Signal signal, const M& original) {
  const std::string json = MustEncode(signal, original);
  const M decoded = MustDecode<M>(signal, json);
  CHECK(Same(original, decoded));
  CHECK(MustEncode(signal, decoded) == json);
}

void Set(common::AnyValue* v, const std::string& s) { v->set_string_value(s); }

common::KeyValue* Attr(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs, const std::string& key) {
  auto* kv = attrs->Add();
  kv->set_key(key);
  return kv;
}

// Every AnyValue kind, nested arrays and kvlists, awkward strings and doubles.
void FillAttributes(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs) {
  Set(Attr(attrs, "string")->mutable_value(),
      "quote\" backslash\\ newline\n tab\t nul" + std::string(1, '\0') +
          " ctl\x01\x1f del\x7f utf8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  Attr(attrs, "empty")->mutable_value()->set_string_value("");
  Attr(attrs, "bool")->mutable_value()->set_bool_value(true);
  Attr(attrs, "false")->mutable_value()->set_bool_value(false);
  Attr(attrs, "int")->mutable_value()->set_int_value(std::numeric_limits<std::int64_t>::min());
  Attr(attrs, "zero")->mutable_value()->set_int_value(0);
  Attr(attrs, "double")->mutable_value()->set_double_value(0.1);
  Attr(attrs, "nan")->mutable_value()->set_double_value(kNaN);
  Attr(attrs, "inf")->mutable_value()->set_double_value(kInf);
  Attr(attrs, "-inf")->mutable_value()->set_double_value(-kInf);
  Attr(attrs, "tiny")->mutable_value()->set_double_value(5e-324);
  Attr(attrs, "huge")->mutable_value()->set_double_value(1.7976931348623157e308);
  Attr(attrs, "bytes")->mutable_value()->set_bytes_value(std::string("\x00\xff\xfe\x01", 4));
  Attr(attrs, "nobytes")->mutable_value()->set_bytes_value("");
  Attr(attrs, "unset");  // KeyValue with no value
  auto* array = Attr(attrs, "array")->mutable_value()->mutable_array_value();
  array->add_values()->set_int_value(1);
  array->add_values()->set_string_value("two");
  array->add_values();  // empty AnyValue
  auto* inner = array->add_values()->mutable_array_value();
  inner->add_values()->set_double_value(-2.5);
  auto* kvlist = array->add_values()->mutable_kvlist_value();
  Attr(kvlist->mutable_values(), "deep")->mutable_value()->mutable_kvlist_value();
  Attr(kvlist->mutable_values(), "list")->mutable_value()->mutable_array_value();
  Attr(kvlist->mutable_values(), "b")->mutable_value()->set_bytes_value("hi");
}

TraceRequest RichTraces() {
  TraceRequest req;
  auto* rs = req.add_resource_spans();
  rs->set_schema_url("https://opentelemetry.io/schemas/1.21.0");
  FillAttributes(rs->mutable_resource()->mutable_attributes());
  rs->mutable_resource()->set_dropped_attributes_count(7);
  auto* entity = rs->mutable_resource()->add_entity_refs();
  entity->set_type("service");
  entity->add_id_keys("service.name");
  entity->add_id_keys("");
  entity->add_description_keys("host.name");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("lib");
  ss->mutable_scope()->set_version("1.2.3");
  Attr(ss->mutable_scope()->mutable_attributes(), "scope.attr")->mutable_value()->set_string_value("x");
  ss->set_schema_url("s");
  for (int i = 0; i < 3; ++i) {
    auto* span = ss->add_spans();
    span->set_trace_id(kTraceId);
    span->set_span_id(kSpanId);
    if (i > 0) span->set_parent_span_id(kParentId);
    span->set_trace_state("k=v");
    span->set_flags(0x301);
    span->set_name("span " + std::to_string(i));
    span->set_kind(static_cast<trace::Span::SpanKind>(i + 1));
    span->set_start_time_unix_nano(1544712660000000000ULL + i);
    span->set_end_time_unix_nano(std::numeric_limits<std::uint64_t>::max());
    FillAttributes(span->mutable_attributes());
    span->set_dropped_attributes_count(1);
    auto* event = span->add_events();
    event->set_time_unix_nano(5);
    event->set_name("exception");
    Attr(event->mutable_attributes(), "exception.message")->mutable_value()->set_string_value("boom");
    event->set_dropped_attributes_count(2);
    span->add_events();  // empty event
    span->set_dropped_events_count(3);
    auto* link = span->add_links();
    link->set_trace_id(Unhex("ffffffffffffffffffffffffffffffff"));
    link->set_span_id(Unhex("0000000000000001"));
    link->set_trace_state("a=b");
    link->set_flags(0x100);
    Attr(link->mutable_attributes(), "l")->mutable_value()->set_bool_value(true);
    link->set_dropped_attributes_count(4);
    span->set_dropped_links_count(5);
    span->mutable_status()->set_message("not found");
    span->mutable_status()->set_code(trace::Status::STATUS_CODE_ERROR);
  }
  req.add_resource_spans();  // empty ResourceSpans
  return req;
}

metrics::Exemplar* AddExemplar(google::protobuf::RepeatedPtrField<metrics::Exemplar>* exemplars,
                               bool as_int) {
  auto* e = exemplars->Add();
  Attr(e->mutable_filtered_attributes(), "user")->mutable_value()->set_string_value("u1");
  e->set_time_unix_nano(99);
  if (as_int) {
    e->set_as_int(-42);
  } else {
    e->set_as_double(kNaN);
  }
  e->set_span_id(kSpanId);
  e->set_trace_id(kTraceId);
  return e;
}

MetricsRequest RichMetrics() {
  MetricsRequest req;
  auto* rm = req.add_resource_metrics();
  FillAttributes(rm->mutable_resource()->mutable_attributes());
  auto* sm = rm->add_scope_metrics();
  sm->mutable_scope()->set_name("meter");

  auto* gauge = sm->add_metrics();
  gauge->set_name("temperature");
  gauge->set_description("degrees \"C\"");
  gauge->set_unit("Cel");
  // -0.0 is left out: written as Go's "-0", it reads back as +0 (see the golden test).
  for (double v : {0.0, 21.5, kNaN, kInf, -kInf, 1e21, 1e-7, 123456789012345678901.0}) {
    auto* p = gauge->mutable_gauge()->add_data_points();
    p->set_time_unix_nano(1);
    p->set_as_double(v);
  }
  gauge->mutable_gauge()->add_data_points()->set_as_int(0);  // explicit zero in a oneof
  gauge->mutable_gauge()->add_data_points();                 // no value at all
  Attr(gauge->mutable_metadata(), "meta")->mutable_value()->set_int_value(1);

  auto* sum = sm->add_metrics();
  sum->set_name("requests");
  sum->mutable_sum()->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  sum->mutable_sum()->set_is_monotonic(true);
  auto* sp = sum->mutable_sum()->add_data_points();
  Attr(sp->mutable_attributes(), "code")->mutable_value()->set_int_value(200);
  sp->set_start_time_unix_nano(1);
  sp->set_time_unix_nano(2);
  sp->set_as_int(std::numeric_limits<std::int64_t>::min());
  sp->set_flags(1);
  AddExemplar(sp->mutable_exemplars(), true);
  AddExemplar(sp->mutable_exemplars(), false);

  auto* hist = sm->add_metrics();
  hist->set_name("latency");
  hist->mutable_histogram()->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_DELTA);
  auto* hp = hist->mutable_histogram()->add_data_points();
  hp->set_count(std::numeric_limits<std::uint64_t>::max());
  hp->set_sum(0);  // optional: present although zero
  for (std::uint64_t c : {std::uint64_t{0}, std::uint64_t{1}, std::numeric_limits<std::uint64_t>::max()})
    hp->add_bucket_counts(c);
  for (double b : {-kInf, 0.5, 1e300}) hp->add_explicit_bounds(b);
  hp->set_min(-1.5);
  hp->set_max(kInf);
  AddExemplar(hp->mutable_exemplars(), false);
  hist->mutable_histogram()->add_data_points();  // empty point: no sum/min/max

  auto* exp = sm->add_metrics();
  exp->set_name("exp");
  exp->mutable_exponential_histogram()->set_aggregation_temporality(
      metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* ep = exp->mutable_exponential_histogram()->add_data_points();
  ep->set_count(10);
  ep->set_sum(-3.25);
  ep->set_scale(-3);
  ep->set_zero_count(std::numeric_limits<std::uint64_t>::max() - 1);
  ep->mutable_positive()->set_offset(-7);
  ep->mutable_positive()->add_bucket_counts(std::numeric_limits<std::uint64_t>::max());
  ep->mutable_positive()->add_bucket_counts(0);
  ep->mutable_negative()->set_offset(std::numeric_limits<std::int32_t>::min());
  ep->set_flags(1);
  ep->set_min(0);
  ep->set_max(0);
  ep->set_zero_threshold(1e-9);
  exp->mutable_exponential_histogram()->add_data_points();  // no buckets at all

  auto* summary = sm->add_metrics();
  summary->set_name("summary");
  auto* qp = summary->mutable_summary()->add_data_points();
  qp->set_count(3);
  qp->set_sum(kNaN);
  auto* q = qp->add_quantile_values();
  q->set_quantile(0.99);
  q->set_value(12.5);
  qp->add_quantile_values();  // quantile 0, value 0

  sm->add_metrics()->set_name("no data");
  return req;
}

LogsRequest RichLogs() {
  LogsRequest req;
  auto* rl = req.add_resource_logs();
  FillAttributes(rl->mutable_resource()->mutable_attributes());
  auto* sl = rl->add_scope_logs();
  sl->mutable_scope()->set_name("logger");
  auto* r = sl->add_log_records();
  r->set_time_unix_nano(1);
  r->set_observed_time_unix_nano(2);
  r->set_severity_number(logs::SEVERITY_NUMBER_ERROR4);
  r->set_severity_text("ERROR");
  auto* body = r->mutable_body()->mutable_kvlist_value();
  Attr(body->mutable_values(), "msg")->mutable_value()->set_string_value("multi\nline");
  auto* arr = Attr(body->mutable_values(), "arr")->mutable_value()->mutable_array_value();
  arr->add_values()->set_bytes_value(std::string("\0\1\2", 3));
  arr->add_values()->mutable_kvlist_value();
  FillAttributes(r->mutable_attributes());
  r->set_dropped_attributes_count(1);
  r->set_flags(1);
  r->set_trace_id(kTraceId);
  r->set_span_id(kSpanId);
  r->set_event_name("app.event");
  sl->add_log_records()->mutable_body()->set_string_value("plain");
  sl->add_log_records();  // empty record
  return req;
}

constexpr std::string_view kMinimalTraceBody =
    R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
  "scopeSpans":[{"scope":{"name":"lib"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",
  "spanId":"eee19b7ec3c1b174","name":"GET /","kind":2,"startTimeUnixNano":"1544712660000000000",
  "endTimeUnixNano":"1544712661000000000","status":{"code":1}}]}]}]})";

TraceRequest MinimalTrace() {
  TraceRequest req;
  auto* rs = req.add_resource_spans();
  Attr(rs->mutable_resource()->mutable_attributes(), "service.name")
      ->mutable_value()
      ->set_string_value("svc");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("lib");
  auto* span = ss->add_spans();
  span->set_trace_id(kTraceId);
  span->set_span_id(kSpanId);
  span->set_name("GET /");
  span->set_kind(trace::Span::SPAN_KIND_SERVER);
  span->set_start_time_unix_nano(1544712660000000000ULL);
  span->set_end_time_unix_nano(1544712661000000000ULL);
  span->mutable_status()->set_code(trace::Status::STATUS_CODE_OK);
  return req;
}

// Length-delimited field `number` around `payload`, for hand-made wire data.
std::string Wrap(int number, const std::string& payload) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.WriteTag(static_cast<std::uint32_t>(number) << 3 | 2);
  coded.WriteVarint32(static_cast<std::uint32_t>(payload.size()));
  coded.WriteString(payload);
  coded.Trim();
  return out;
}

}  // namespace

TEST_CASE("the minimal trace body of otel-compat A.6 decodes to the right message", "[json]") {
  const auto req = MustDecode<TraceRequest>(Signal::kTraces, kMinimalTraceBody);
  REQUIRE(req.resource_spans_size() == 1);
  const auto& rs = req.resource_spans(0);
  REQUIRE(rs.resource().attributes_size() == 1);
  CHECK(rs.resource().attributes(0).key() == "service.name");
  CHECK(rs.resource().attributes(0).value().string_value() == "svc");
  REQUIRE(rs.scope_spans_size() == 1);
  CHECK(rs.scope_spans(0).scope().name() == "lib");
  REQUIRE(rs.scope_spans(0).spans_size() == 1);
  const auto& span = rs.scope_spans(0).spans(0);
  CHECK(span.trace_id() == kTraceId);
  CHECK(span.span_id() == kSpanId);
  CHECK(span.parent_span_id().empty());
  CHECK(span.name() == "GET /");
  CHECK(span.kind() == trace::Span::SPAN_KIND_SERVER);
  CHECK(span.start_time_unix_nano() == 1544712660000000000ULL);
  CHECK(span.end_time_unix_nano() == 1544712661000000000ULL);
  CHECK(span.status().code() == trace::Status::STATUS_CODE_OK);
  // Written in field-number order without defaults: the canonical serialization.
  CHECK(*DecodeRequest(Signal::kTraces, kMinimalTraceBody) == MinimalTrace().SerializeAsString());
}

TEST_CASE("encoder output matches pdata's JSON marshaler byte for byte", "[json][golden]") {
  SECTION("a small span") {
    TraceRequest req = MinimalTrace();
    auto* ss = req.mutable_resource_spans(0)->mutable_scope_spans(0);
    ss->mutable_scope()->set_version("1.0");
    auto* span = ss->mutable_spans(0);
    span->set_flags(257);
    Attr(span->mutable_attributes(), "http.status_code")->mutable_value()->set_int_value(200);
    Attr(span->mutable_attributes(), "ok")->mutable_value()->set_bool_value(true);
    Attr(span->mutable_attributes(), "ratio")->mutable_value()->set_double_value(0.25);
    CHECK(
        MustEncode(Signal::kTraces, req) ==
        R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},)"
        R"("scopeSpans":[{"scope":{"name":"lib","version":"1.0"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",)"
        R"("spanId":"eee19b7ec3c1b174","flags":257,"name":"GET /","kind":2,"startTimeUnixNano":"1544712660000000000",)"
        R"("endTimeUnixNano":"1544712661000000000","attributes":[{"key":"http.status_code","value":{"intValue":"200"}},)"
        R"({"key":"ok","value":{"boolValue":true}},{"key":"ratio","value":{"doubleValue":0.25}}],"status":{"code":1}}]}]}]})");
  }
  SECTION("empty messages: value-typed sub-messages are always written, the rest omitted") {
    CHECK(MustEncode(Signal::kTraces, TraceRequest()) == "{}");
    TraceRequest req;
    req.add_resource_spans()->add_scope_spans()->add_spans()->add_links();
    req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->add_attributes();
    CHECK(
        MustEncode(Signal::kTraces, req) ==
        R"({"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":[{"attributes":[{"value":{}}],"links":[{}],"status":{}}]}]}]})");
    LogsRequest logs;
    logs.add_resource_logs()->add_scope_logs()->add_log_records();
    CHECK(MustEncode(Signal::kLogs, logs) ==
          R"({"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{},"logRecords":[{"body":{}}]}]}]})");
  }
  SECTION("all-zero ids are pdata's empty id and are omitted") {
    TraceRequest req = MinimalTrace();
    auto* span = req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
    span->set_trace_id(std::string(16, '\0'));
    span->set_parent_span_id(std::string(8, '\0'));
    const std::string json = MustEncode(Signal::kTraces, req);
    CHECK(json.find("traceId") == std::string::npos);
    CHECK(json.find("parentSpanId") == std::string::npos);
    CHECK(json.find(R"("spanId":"eee19b7ec3c1b174")") != std::string::npos);
  }
  SECTION("metric points: oneof and optional values written even when zero, Go float formatting") {
    MetricsRequest req;
    auto* m = req.add_resource_metrics()->add_scope_metrics()->add_metrics();
    m->set_name("g");
    for (double v : {0.1, 1e21, 1e-7, 123456789012345678901.0, 100.0, -0.0, kNaN, kInf, -kInf, 5e-324,
                     1.7976931348623157e308, 1e20, 0.000001, -2.5}) {
      m->mutable_gauge()->add_data_points()->set_as_double(v);
    }
    m->mutable_gauge()->add_data_points()->set_as_int(-5);
    auto* h = req.mutable_resource_metrics(0)
                  ->mutable_scope_metrics(0)
                  ->add_metrics()
                  ->mutable_histogram()
                  ->add_data_points();
    h->set_count(std::numeric_limits<std::uint64_t>::max());
    h->set_sum(0);
    h->add_bucket_counts(1);
    h->add_bucket_counts(2);
    h->add_explicit_bounds(0.5);
    const auto e = req.mutable_resource_metrics(0)
                       ->mutable_scope_metrics(0)
                       ->add_metrics()
                       ->mutable_exponential_histogram()
                       ->add_data_points();
    e->set_scale(-3);
    e->mutable_positive()->set_offset(-1);
    e->mutable_positive()->add_bucket_counts(7);
    CHECK(
        MustEncode(Signal::kMetrics, req) ==
        R"({"resourceMetrics":[{"resource":{},"scopeMetrics":[{"scope":{},"metrics":[{"name":"g","gauge":{"dataPoints":[)"
        R"({"asDouble":0.1},{"asDouble":1e+21},{"asDouble":1e-07},{"asDouble":123456789012345680000},{"asDouble":100},)"
        R"({"asDouble":-0},{"asDouble":"NaN"},{"asDouble":"Infinity"},{"asDouble":"-Infinity"},{"asDouble":5e-324},)"
        R"({"asDouble":1.7976931348623157e+308},{"asDouble":100000000000000000000},{"asDouble":0.000001},)"
        R"({"asDouble":-2.5},{"asInt":"-5"}]}},)"
        R"({"histogram":{"dataPoints":[{"count":"18446744073709551615","sum":0,"bucketCounts":["1","2"],"explicitBounds":[0.5]}]}},)"
        R"({"exponentialHistogram":{"dataPoints":[{"scale":-3,"positive":{"offset":-1,"bucketCounts":["7"]},"negative":{}}]}}]}]}]})");
  }
  SECTION("logs and escapes") {
    LogsRequest req;
    auto* r = req.add_resource_logs()->add_scope_logs()->add_log_records();
    r->set_severity_number(logs::SEVERITY_NUMBER_WARN);
    r->mutable_body()->set_string_value("a\"b\\c\n\r\t\x01\x1f\x7f\xc3\xa9 \xff end");
    r->set_trace_id(kTraceId);
    r->set_span_id(kSpanId);
    r->set_flags(1);
    CHECK(MustEncode(Signal::kLogs, req) ==
          R"({"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{},"logRecords":[{"severityNumber":13,)"
          "\"body\":{\"stringValue\":\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9 \\ufffd end\"},"
          R"("flags":1,"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"}]}]}]})");
  }
  SECTION("exemplars: traceId before spanId, as pdata writes them (not .proto order)") {
    MetricsRequest req;
    auto* m = req.add_resource_metrics()->add_scope_metrics()->add_metrics();
    m->set_name("s");
    auto* dp = m->mutable_sum()->add_data_points();
    dp->set_as_int(1);
    AddExemplar(dp->mutable_exemplars(), true);
    CHECK(
        MustEncode(Signal::kMetrics, req) ==
        R"({"resourceMetrics":[{"resource":{},"scopeMetrics":[{"scope":{},"metrics":[{"name":"s","sum":{"dataPoints":[)"
        R"({"asInt":"1","exemplars":[{"filteredAttributes":[{"key":"user","value":{"stringValue":"u1"}}],)"
        R"("timeUnixNano":"99","asInt":"-42","traceId":"5b8efff798038103d269b633813fc60c",)"
        R"("spanId":"eee19b7ec3c1b174"}]}]}}]}]}]})");
    // And the decoder reads it back: the ids land in their own fields.
    auto back = DecodeRequest(Signal::kMetrics, MustEncode(Signal::kMetrics, req));
    REQUIRE(back.ok());
    MetricsRequest parsed;
    REQUIRE(parsed.ParseFromString(*back));
    const auto& e = parsed.resource_metrics(0).scope_metrics(0).metrics(0).sum().data_points(0).exemplars(0);
    CHECK(e.trace_id() == kTraceId);
    CHECK(e.span_id() == kSpanId);
    CHECK(MustEncode(Signal::kMetrics, parsed) == MustEncode(Signal::kMetrics, req));
  }
  SECTION("EncodeMessage: responses and google.rpc.Status") {
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
    CHECK(EncodeMessage(response) == R"({"partialSuccess":{}})");
    response.mutable_partial_success()->set_rejected_spans(3);
    response.mutable_partial_success()->set_error_message("bad span");
    CHECK(EncodeMessage(response) == R"({"partialSuccess":{"rejectedSpans":"3","errorMessage":"bad span"}})");
    CHECK(EncodeMessage(MinimalTrace()) == MustEncode(Signal::kTraces, MinimalTrace()));
    google::rpc::Status status;
    status.set_code(8);
    status.set_message("queue full");
    google::rpc::RetryInfo retry;
    retry.mutable_retry_delay()->set_seconds(5);
    status.add_details()->PackFrom(retry);
    CHECK(
        EncodeMessage(status) ==
        R"({"code":8,"message":"queue full","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"5s"}]})");
  }
}

TEST_CASE("encode -> decode round trips rich messages of all three signals", "[json]") {
  SECTION("traces") { CheckRoundTrip(Signal::kTraces, RichTraces()); }
  SECTION("metrics") { CheckRoundTrip(Signal::kMetrics, RichMetrics()); }
  SECTION("logs") { CheckRoundTrip(Signal::kLogs, RichLogs()); }
  SECTION("big requests") {
    TraceRequest req;
    auto* ss = req.add_resource_spans()->add_scope_spans();
    for (int i = 0; i < 2000; ++i)
      *ss->add_spans() = RichTraces().resource_spans(0).scope_spans(0).spans(i % 3);
    CheckRoundTrip(Signal::kTraces, req);
  }
}

TEST_CASE("decoding protobuf's own proto3 JSON gives the canonical serialization", "[json]") {
  // Without ids the OTLP rules coincide with proto3 JSON, so protobuf's printer
  // is an independent oracle for the decoder.
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_enums_as_ints = true;
  MetricsRequest metrics = RichMetrics();
  for (auto& rm : *metrics.mutable_resource_metrics()) {
    for (auto& sm : *rm.mutable_scope_metrics()) {
      for (auto& m : *sm.mutable_metrics()) {
        if (m.has_sum()) m.mutable_sum()->mutable_data_points(0)->clear_exemplars();
        if (m.has_histogram()) m.mutable_histogram()->mutable_data_points(0)->clear_exemplars();
      }
    }
  }
  std::string json;
  REQUIRE(google::protobuf::util::MessageToJsonString(metrics, &json, options).ok());
  CHECK(*DecodeRequest(Signal::kMetrics, json) == metrics.SerializeAsString());

  LogsRequest logs = RichLogs();
  logs.mutable_resource_logs(0)->mutable_scope_logs(0)->mutable_log_records(0)->clear_trace_id();
  logs.mutable_resource_logs(0)->mutable_scope_logs(0)->mutable_log_records(0)->clear_span_id();
  options.preserve_proto_field_names = true;  // snake_case keys this time
  json.clear();
  REQUIRE(google::protobuf::util::MessageToJsonString(logs, &json, options).ok());
  CHECK(*DecodeRequest(Signal::kLogs, json) == logs.SerializeAsString());
}

TEST_CASE("decoder accepts the lenient forms", "[json]") {
  const std::string canonical = MinimalTrace().SerializeAsString();
  SECTION("snake_case keys and upper-case hex") {
    CHECK(
        *DecodeRequest(
            Signal::kTraces,
            R"({"resource_spans":[{"resource":{"attributes":[{"key":"service.name","value":{"string_value":"svc"}}]},
      "scope_spans":[{"scope":{"name":"lib"},"spans":[{"trace_id":"5B8EFFF798038103D269B633813FC60C",
      "span_id":"EEE19B7EC3C1B174","name":"GET /","kind":2,"start_time_unix_nano":"1544712660000000000",
      "end_time_unix_nano":"1544712661000000000","status":{"code":1}}]}]}]})") == canonical);
  }
  SECTION("numbers for 64-bit integers, enum names, whitespace") {
    CHECK(
        *DecodeRequest(
            Signal::kTraces,
            R"( { "resourceSpans" : [ {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
      "scopeSpans":[{"scope":{"name":"lib"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",
      "spanId":"eee19b7ec3c1b174","name":"GET /","kind":"SPAN_KIND_SERVER","startTimeUnixNano":1544712660000000000,
      "endTimeUnixNano":1.544712661e18,"status":{"code":"STATUS_CODE_OK"}}]}]}]} )") == canonical);
    const auto m = MustDecode<MetricsRequest>(
        Signal::kMetrics, R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"dataPoints":[
      {"asInt":-5,"startTimeUnixNano":"18446744073709551615","flags":"1"},{"asDouble":"NaN"},{"asDouble":"-Infinity"},{"asDouble":"+Inf"},
      {"asDouble":"2.5"},{"asDouble":7}],"aggregationTemporality":2}}]}]}]})");
    const auto& points = m.resource_metrics(0).scope_metrics(0).metrics(0).sum().data_points();
    CHECK(points[0].as_int() == -5);
    CHECK(points[0].start_time_unix_nano() == std::numeric_limits<std::uint64_t>::max());
    CHECK(points[0].flags() == 1);
    CHECK(std::isnan(points[1].as_double()));
    CHECK(points[2].as_double() == -kInf);
    CHECK(points[3].as_double() == kInf);
    CHECK(points[4].as_double() == 2.5);
    CHECK(points[5].as_double() == 7);
  }
  SECTION("integer literals beyond 64 bits, as Go writes doubles in [2^64, 1e21)") {
    const auto m = MustDecode<MetricsRequest>(
        Signal::kMetrics,
        R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"99999999999999999999999",
      "gauge":{"dataPoints":[{"asDouble":123456789012345680000},{"asDouble":-100000000000000000000},{"asDouble":18446744073709551615}]}}]}]}]})");
    const auto& metric = m.resource_metrics(0).scope_metrics(0).metrics(0);
    CHECK(metric.name() == "99999999999999999999999");
    CHECK(metric.gauge().data_points(0).as_double() == 123456789012345678901.0);
    CHECK(metric.gauge().data_points(1).as_double() == -1e20);
    CHECK(metric.gauge().data_points(2).as_double() == 18446744073709551615.0);
    CHECK(
        DecodeError(
            Signal::kMetrics,
            R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"dataPoints":[{"timeUnixNano":18446744073709551616}]}}]}]}]})") ==
        "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].timeUnixNano: expected an unsigned "
        "64-bit integer");
  }
  SECTION("unknown keys are ignored at every level, whatever their value") {
    CHECK(
        *DecodeRequest(
            Signal::kTraces,
            R"({"x":1,"resourceSpans":[{"unknown":{"a":[1,2,{"b":null}]},"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc","zz":[]}}]},
      "scopeSpans":[{"scope":{"name":"lib","q":"w"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",
      "spanId":"eee19b7ec3c1b174","name":"GET /","kind":2,"startTimeUnixNano":"1544712660000000000","extra":true,
      "endTimeUnixNano":"1544712661000000000","status":{"code":1,"deprecatedCode":5}}]}]}],"y":[[[[["deep"]]]]]})") ==
        canonical);
  }
  SECTION("null is absent; a repeated or duplicated key keeps the last value") {
    CHECK(
        *DecodeRequest(
            Signal::kTraces,
            R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
      "scopeSpans":[{"scope":{"name":"lib","version":null},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","parentSpanId":null,
      "spanId":"eee19b7ec3c1b174","name":"first","name":"GET /","kind":2,"startTimeUnixNano":"1544712660000000000",
      "endTimeUnixNano":"1544712661000000000","events":null,"status":{"code":1}}]}],"schemaUrl":null}]})") ==
        canonical);
  }
  SECTION("a later member of a oneof replaces an earlier one") {
    const auto logs = MustDecode<LogsRequest>(
        Signal::kLogs,
        R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"a","intValue":"3"}}]}]}]})");
    CHECK(logs.resource_logs(0).scope_logs(0).log_records(0).body().int_value() == 3);
  }
  SECTION("empty ids, url-safe unpadded base64") {
    const auto logs = MustDecode<LogsRequest>(
        Signal::kLogs,
        R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"","spanId":"0000000000000000","body":{"bytesValue":"_-8"}}]}]}]})");
    const auto& r = logs.resource_logs(0).scope_logs(0).log_records(0);
    CHECK(r.trace_id().empty());
    CHECK(r.span_id().empty());
    CHECK(r.body().bytes_value() == "\xff\xef");
  }
}

TEST_CASE("bad input is InvalidArgument naming the path, never a crash", "[json]") {
  auto span_body = [](const std::string& third_span) {
    return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{},{},{)" + third_span + "}]}]}]}";
  };
  SECTION("bad hex id") {
    CHECK(DecodeError(Signal::kTraces, span_body(R"("traceId":"5b8efff798038103d269b633813fc6zz")")) ==
          "resourceSpans[0].scopeSpans[0].spans[2].traceId: invalid id: not a hex string");
  }
  SECTION("wrong-length id") {
    CHECK(
        DecodeError(Signal::kTraces, span_body(R"("traceId":"5b8efff798038103d269b633813fc60")")) ==
        "resourceSpans[0].scopeSpans[0].spans[2].traceId: invalid id: want 32 hex digits, got 31 characters");
    CHECK(
        DecodeError(Signal::kTraces, span_body(R"("spanId":"5b8efff798038103d269b633813fc60c")")) ==
        "resourceSpans[0].scopeSpans[0].spans[2].spanId: invalid id: want 16 hex digits, got 32 characters");
    CHECK(DecodeError(Signal::kTraces, span_body(R"("links":[{"spanId":"00"}])")) ==
          "resourceSpans[0].scopeSpans[0].spans[2].links[0].spanId: invalid id: want 16 hex digits, got 2 "
          "characters");
  }
  SECTION("wrong types") {
    CHECK(DecodeError(Signal::kTraces, R"({"resourceSpans":[{"scopeSpans":[{"spans":{}}]}]})") ==
          "resourceSpans[0].scopeSpans[0].spans: expected an array");
    CHECK(DecodeError(Signal::kTraces, R"({"resourceSpans":{}})") == "resourceSpans: expected an array");
    CHECK(DecodeError(Signal::kTraces, R"({"resourceSpans":[5]})") == "resourceSpans[0]: expected an object");
    CHECK(DecodeError(Signal::kTraces, span_body(R"("name":5)")) ==
          "resourceSpans[0].scopeSpans[0].spans[2].name: expected a string");
    CHECK(DecodeError(Signal::kTraces, span_body(R"("kind":"SPAN_KIND_BOGUS")")) ==
          "resourceSpans[0].scopeSpans[0].spans[2].kind: unknown enum value \"SPAN_KIND_BOGUS\"");
    CHECK(DecodeError(Signal::kTraces, span_body(R"("startTimeUnixNano":"12x")")) ==
          "resourceSpans[0].scopeSpans[0].spans[2].startTimeUnixNano: expected an unsigned 64-bit integer");
    CHECK(DecodeError(Signal::kTraces, span_body(R"("startTimeUnixNano":-1)")) ==
          "resourceSpans[0].scopeSpans[0].spans[2].startTimeUnixNano: expected an unsigned 64-bit integer");
    CHECK(DecodeError(Signal::kTraces, span_body(R"("droppedAttributesCount":4294967296)")) ==
          "resourceSpans[0].scopeSpans[0].spans[2].droppedAttributesCount: expected an unsigned 32-bit "
          "integer");
    CHECK(DecodeError(Signal::kTraces, span_body(R"("attributes":[{"key":"k","value":{"intValue":1.5}}])")) ==
          "resourceSpans[0].scopeSpans[0].spans[2].attributes[0].value.intValue: expected a signed 64-bit "
          "integer");
    CHECK(DecodeError(Signal::kTraces,
                      span_body(R"("attributes":[{"key":"k","value":{"boolValue":"true"}}])")) ==
          "resourceSpans[0].scopeSpans[0].spans[2].attributes[0].value.boolValue: expected true or false");
    CHECK(
        DecodeError(Signal::kTraces, span_body(R"("attributes":[{"key":"k","value":{"bytesValue":"a"}}])")) ==
        "resourceSpans[0].scopeSpans[0].spans[2].attributes[0].value.bytesValue: invalid base64");
    CHECK(
        DecodeError(
            Signal::kMetrics,
            R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[{"bucketCounts":["1",true]}]}}]}]}]})") ==
        "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].bucketCounts[1]: expected an "
        "unsigned 64-bit integer");
    CHECK(
        DecodeError(
            Signal::kMetrics,
            R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"asDouble":"fast"}]}}]}]}]})") ==
        "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].asDouble: expected a number");
  }
  SECTION("not JSON, not an object, truncated") {
    CHECK(DecodeError(Signal::kTraces, "").starts_with("invalid JSON"));
    CHECK(DecodeError(Signal::kTraces, "[]") == "invalid OTLP/JSON: the body must be a JSON object");
    CHECK(DecodeError(Signal::kLogs, "5") == "invalid OTLP/JSON: the body must be a JSON object");
    CHECK(DecodeError(Signal::kTraces, "{} {}").starts_with("invalid JSON"));
    CHECK(DecodeError(Signal::kTraces, "{\"a\":\"\xff\"}").starts_with("invalid JSON"));  // not UTF-8
    const std::string body(kMinimalTraceBody);
    for (std::size_t n = 0; n < body.size(); ++n) {
      auto r = DecodeRequest(Signal::kTraces, body.substr(0, n));
      CHECK_FALSE(r.ok());
    }
  }
  SECTION("deep nesting") {
    std::string deep_value = R"({"stringValue":"x"})";
    for (int i = 0; i < 60; ++i) deep_value = R"({"arrayValue":{"values":[)" + deep_value + "]}}";
    const std::string error = DecodeError(
        Signal::kLogs, R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":)" + deep_value + "}]}]}]}");
    CHECK(
        error.starts_with("resourceLogs[0].scopeLogs[0].logRecords[0].body.arrayValue.values[0].arrayValue"));
    CHECK(error.ends_with("nested deeper than 100 messages"));
    const std::string brackets = R"({"x":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
    CHECK(DecodeError(Signal::kTraces, brackets).starts_with("invalid JSON"));
    std::string ok_value = R"({"stringValue":"x"})";
    for (int i = 0; i < 15; ++i) ok_value = R"({"arrayValue":{"values":[)" + ok_value + "]}}";
    CheckRoundTrip(
        Signal::kLogs,
        MustDecode<LogsRequest>(Signal::kLogs, R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":)" +
                                                   ok_value + "}]}]}]}"));
  }
}

// One nesting limit on one count: the same log body nested n deep is accepted
// over JSON exactly when the wire walker accepts it over protobuf.
TEST_CASE("JSON and protobuf share one nesting limit", "[json]") {
  for (bool kvlist : {false, true}) {
    int deepest_json = 0, deepest_wire = 0;
    for (int n = 1; n < 60; ++n) {
      LogsRequest req;
      auto* body = req.add_resource_logs()->add_scope_logs()->add_log_records()->mutable_body();
      std::string json_body = R"({"intValue":"42"})";
      for (int i = 1; i < n; ++i) {
        if (kvlist) {
          auto* kv = body->mutable_kvlist_value()->add_values();
          kv->set_key("k");
          body = kv->mutable_value();
          json_body = R"({"kvlistValue":{"values":[{"key":"k","value":)" + json_body + "}]}}";
        } else {
          body = body->mutable_array_value()->add_values();
          json_body = R"({"arrayValue":{"values":[)" + json_body + "]}}";
        }
      }
      body->set_int_value(42);
      const std::string wire = req.SerializeAsString();
      const std::string json =
          R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":)" + json_body + "}]}]}]}";
      if (otlpd::wire::ValidateAndCount(Signal::kLogs, wire).ok()) deepest_wire = n;
      auto decoded = DecodeRequest(Signal::kLogs, json);
      if (decoded.ok()) {
        deepest_json = n;
        CHECK(*decoded == wire);
        CHECK(EncodeRequest(Signal::kLogs, wire).ok());  // and it can be written out again
      }
    }
    CAPTURE(kvlist);
    CHECK(deepest_wire == (kvlist ? 33 : 49));  // the limit (100) sits inside the loop's range
    CHECK(deepest_json == deepest_wire);
  }
  CHECK(otlpd::wire::kMaxNestingDepth == 100);
}

TEST_CASE("encoder reads any valid wire form the way protobuf does", "[json]") {
  auto same_as_protobuf = [](Signal signal, google::protobuf::Message&& m, const std::string& wire) {
    REQUIRE(m.ParseFromString(wire));
    auto json = EncodeRequest(signal, wire);
    INFO(json.status().message());
    REQUIRE(json.ok());
    CHECK(*json == MustEncode(signal, m));
  };
  SECTION("concatenated requests, split and merged sub-messages, oneof overrides") {
    const std::string a = RichTraces().SerializeAsString();
    same_as_protobuf(Signal::kTraces, TraceRequest(), a + MinimalTrace().SerializeAsString() + a);
    logs::LogRecord r1;
    r1.mutable_body()->set_string_value("first");
    r1.set_severity_text("one");
    logs::LogRecord r2;
    r2.mutable_body()->mutable_array_value()->add_values()->set_int_value(1);
    r2.set_time_unix_nano(5);
    logs::LogRecord r3;
    r3.mutable_body()->mutable_array_value()->add_values()->set_int_value(2);
    const std::string record = r1.SerializeAsString() + r2.SerializeAsString() + r1.SerializeAsString() +
                               r2.SerializeAsString() + r3.SerializeAsString();
    same_as_protobuf(Signal::kLogs, LogsRequest(), Wrap(1, Wrap(2, Wrap(2, record))));
  }
  SECTION("unpacked repeated scalars, unknown fields and wire-type mismatches") {
    std::string point;
    google::protobuf::io::StringOutputStream stream(&point);
    {
      google::protobuf::io::CodedOutputStream out(&stream);
      out.WriteTag(6 << 3 | 1);  // bucket_counts, unpacked fixed64
      out.WriteLittleEndian64(3);
      out.WriteTag(99 << 3 | 0);  // unknown varint
      out.WriteVarint64(1);
      out.WriteTag(4 << 3 | 0);  // count with the wrong wire type: unknown
      out.WriteVarint64(12);
      out.WriteTag(7 << 3 | 2);  // explicit_bounds, packed
      out.WriteVarint32(16);
      out.WriteLittleEndian64(0x3ff0000000000000ULL);
      out.WriteLittleEndian64(0x4000000000000000ULL);
      out.WriteTag(6 << 3 | 1);
      out.WriteLittleEndian64(4);
      out.WriteTag(50 << 3 | 3);  // unknown group
      out.WriteTag(1 << 3 | 0);
      out.WriteVarint64(1);
      out.WriteTag(50 << 3 | 4);
    }
    same_as_protobuf(Signal::kMetrics, MetricsRequest(), Wrap(1, Wrap(2, Wrap(2, Wrap(9, Wrap(1, point))))));
  }
  SECTION("malformed protobuf is InvalidArgument with the path") {
    const std::string wire = RichTraces().SerializeAsString();
    for (std::size_t n = 1; n < wire.size(); n += 7) {
      const auto r = EncodeRequest(Signal::kTraces, wire.substr(0, n));
      if (!r.ok()) CHECK(r.status().code() == StatusCode::kInvalidArgument);
    }
    CHECK(EncodeRequest(Signal::kTraces, "\x0a\x05\x12").status().message() ==
          "invalid protobuf: truncated length-delimited field");
    TraceRequest bad_id = MinimalTrace();
    bad_id.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->set_span_id("12345");
    CHECK(EncodeRequest(Signal::kTraces, bad_id.SerializeAsString()).status().message() ==
          "invalid protobuf at resourceSpans[0].scopeSpans[0].spans[0].spanId: id is 5 bytes, want 8");
  }
}
