#include "exporters/debug/formatter.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "test/exporters/debug/test_payloads.h"

namespace otlpd::exporters::debug {
namespace {

using namespace testing;  // NOLINT: test fixtures

// Catch prints both strings on failure, which shows the whole rendering.
#define CHECK_CONTAINS(haystack, needle) CHECK_THAT(haystack, Catch::Matchers::Contains(needle))

common::AnyValue Str(std::string s) {
  common::AnyValue v;
  v.set_string_value(std::move(s));
  return v;
}

common::AnyValue Double(double d) {
  common::AnyValue v;
  v.set_double_value(d);
  return v;
}

TEST_CASE("FormatTimestamp prints Go's time.String in UTC", "[debug][formatter]") {
  CHECK(FormatTimestamp(0) == "1970-01-01 00:00:00 +0000 UTC");
  CHECK(FormatTimestamp(kStart) == "2018-12-13 14:51:00 +0000 UTC");
  CHECK(FormatTimestamp(kEnd) == "2018-12-13 14:51:01.000000123 +0000 UTC");
  CHECK(FormatTimestamp(1581452772000000321ull) == "2020-02-11 20:26:12.000000321 +0000 UTC");
  CHECK(FormatTimestamp(kStart + 120000000) == "2018-12-13 14:51:00.12 +0000 UTC");
  // pdata converts to int64 first: the largest values wrap to before 1970.
  CHECK(FormatTimestamp(std::numeric_limits<std::uint64_t>::max()) ==
        "1969-12-31 23:59:59.999999999 +0000 UTC");
}

TEST_CASE("FormatId is lower-case hex, empty for empty and all-zero ids", "[debug][formatter]") {
  CHECK(FormatId(kTraceId) == "0102030405060708090a0b0c0d0e0f10");
  CHECK(FormatId(std::string("\xab\xcd\x00\x00\x00\x00\x00\xef", 8)) == "abcd0000000000ef");
  CHECK(FormatId("") == "");
  CHECK(FormatId(std::string(16, '\0')) == "");
}

TEST_CASE("GoFloat matches Go's %v", "[debug][formatter]") {
  CHECK(GoFloat(0) == "0");
  CHECK(GoFloat(0.5) == "0.5");
  CHECK(GoFloat(1.5) == "1.5");
  CHECK(GoFloat(9) == "9");
  CHECK(GoFloat(123456) == "123456");
  CHECK(GoFloat(1e6) == "1e+06");
  CHECK(GoFloat(1234567) == "1.234567e+06");
  CHECK(GoFloat(0.0001) == "0.0001");
  CHECK(GoFloat(0.00001) == "1e-05");
  CHECK(GoFloat(-2.5) == "-2.5");
  CHECK(GoFloat(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(GoFloat(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(GoFloat(std::nan("")) == "NaN");
}

TEST_CASE("values render as pdata's AsString and typed form", "[debug][formatter]") {
  CHECK(TypedValue(Str("x")) == "Str(x)");
  CHECK(TypedValue(Double(1.5)) == "Double(1.5)");
  CHECK(TypedValue(common::AnyValue()) == "Empty()");
  // JSON number rules for doubles (ES6 cut-offs, Go's short exponent).
  CHECK(ValueAsString(Double(1e20)) == "100000000000000000000");
  CHECK(ValueAsString(Double(1e21)) == "1e+21");
  CHECK(ValueAsString(Double(1e-7)) == "1e-7");
  CHECK(ValueAsString(Double(0.1)) == "0.1");
  CHECK(ValueAsString(Double(std::nan(""))) == "json: unsupported value: NaN");

  common::AnyValue map;
  auto* kvs = map.mutable_kvlist_value()->mutable_values();
  AddStr(kvs, "z", "<a&\"b\">\n\x01");
  AddStr(kvs, "a", "caf\xc3\xa9 \xff");
  common::KeyValue* nested = kvs->Add();
  nested->set_key("m");
  nested->mutable_value()->mutable_array_value()->add_values()->set_bool_value(false);
  nested->mutable_value()->mutable_array_value()->add_values();  // empty -> null
  nested->mutable_value()->mutable_array_value()->add_values()->set_double_value(2.0);
  // Keys sorted, Go's HTML-safe escaping, invalid UTF-8 replaced.
  CHECK(ValueAsString(map) ==
        R"({"a":"café \ufffd","m":[false,null,2],"z":"\u003ca\u0026\"b\"\u003e\n\u0001"})");
  CHECK(TypedValue(map).rfind("Map({\"a\":", 0) == 0);
}

TEST_CASE("basic verbosity prints one summary line per payload", "[debug][formatter]") {
  FormattedPayload traces = FormatTraces(MakeTraces(), Verbosity::kBasic);
  CHECK(traces.Summary() == "Traces\t{\"resource spans\": 1, \"spans\": 2}");
  CHECK(traces.body.empty());
  CHECK(traces.Text() == "Traces\t{\"resource spans\": 1, \"spans\": 2}\n");

  FormattedPayload metrics = FormatMetrics(MakeMetrics(), Verbosity::kBasic);
  CHECK(metrics.Summary() == "Metrics\t{\"resource metrics\": 1, \"metrics\": 5, \"data points\": 6}");
  CHECK(metrics.body.empty());

  FormattedPayload logs = FormatLogs(MakeLogs(), Verbosity::kBasic);
  CHECK(logs.Summary() == "Logs\t{\"resource logs\": 1, \"log records\": 3}");
  CHECK(logs.body.empty());
}

TEST_CASE("normal verbosity prints about one line per item", "[debug][formatter]") {
  SECTION("traces") {
    std::string body = FormatTraces(MakeTraces(), Verbosity::kNormal).body;
    CHECK(body ==
          "ResourceTraces #0 [https://opentelemetry.io/schemas/1.4.0] service.name=svc\n"
          "ScopeTraces #0 my.lib@1.2.3\n"
          "GET / 0102030405060708090a0b0c0d0e0f10 1112131415161718 http.method=GET count=5 ratio=1.5 ok=true "
          "list=[1,\"a\"] map={\"a\":\"x\",\"b\":1} raw=AQL/\n"
          "root 0102030405060708090a0b0c0d0e0f10 2122232425262728\n");
  }
  SECTION("metrics") {
    std::string body = FormatMetrics(MakeMetrics(), Verbosity::kNormal).body;
    CHECK(body ==
          "ResourceMetrics #0 service.name=svc\n"
          "ScopeMetrics #0 my.lib@1.2.3\n"
          "requests{route=/a} 7\n"
          "requests{route=/b} 8\n"
          "latency{} 1.5\n"
          "histo{} count=6 sum=12.5 min=0.5 max=9 le1=1 le5=2 3\n"
          "exp{} count=4 sum=2.25\n"
          "summ{} count=3 sum=6.000000 q0.5=2 q0.99=3\n");
  }
  SECTION("logs") {
    std::string body = FormatLogs(MakeLogs(), Verbosity::kNormal).body;
    CHECK(body ==
          "ResourceLog #0 service.name=svc\n"
          "ScopeLog #0 my.lib@1.2.3\n"
          "hello world user=bob\n"
          "{\"k\":\"v\",\"n\":2}\n"
          "\n");
  }
}

TEST_CASE("detailed verbosity dumps spans like otelcol", "[debug][formatter]") {
  FormattedPayload out = FormatTraces(MakeTraces(), Verbosity::kDetailed);
  CHECK(out.Summary() == "Traces\t{\"resource spans\": 1, \"spans\": 2}");
  const std::string& body = out.body;
  CHECK(body.rfind("ResourceSpans #0\n", 0) == 0);
  CHECK_CONTAINS(body,
                 "ResourceSpans #0\n"
                 "Resource SchemaURL: https://opentelemetry.io/schemas/1.4.0\n"
                 "Resource attributes:\n"
                 "     -> service.name: Str(svc)\n"
                 "ScopeSpans #0\n"
                 "ScopeSpans SchemaURL: \n"
                 "InstrumentationScope my.lib 1.2.3\n"
                 "Span #0\n");
  CHECK_CONTAINS(body,
                 "Span #0\n"
                 "    Trace ID       : 0102030405060708090a0b0c0d0e0f10\n"
                 "    Parent ID      : 2122232425262728\n"
                 "    ID             : 1112131415161718\n"
                 "    Name           : GET /\n"
                 "    Kind           : Server\n"
                 "    Start time     : 2018-12-13 14:51:00 +0000 UTC\n"
                 "    End time       : 2018-12-13 14:51:01.000000123 +0000 UTC\n"
                 "    Status code    : Error\n"
                 "    Status message : boom\n"
                 "    DroppedAttributesCount: 0\n"
                 "    DroppedEventsCount: 0\n"
                 "    DroppedLinksCount: 0\n"
                 "Attributes:\n"
                 "     -> http.method: Str(GET)\n"
                 "     -> count: Int(5)\n"
                 "     -> ratio: Double(1.5)\n"
                 "     -> ok: Bool(true)\n"
                 "     -> list: Slice([1,\"a\"])\n"
                 "     -> map: Map({\"a\":\"x\",\"b\":1})\n"
                 "     -> raw: Bytes(AQL/)\n"
                 "Events:\n"
                 "SpanEvent #0\n"
                 "     -> Name: exception\n"
                 "     -> Timestamp: 2018-12-13 14:51:00.5 +0000 UTC\n"
                 "     -> DroppedAttributesCount: 0\n"
                 "     -> Attributes::\n"
                 "          -> exception.message: Str(oops)\n"
                 "Links:\n"
                 "SpanLink #0\n"
                 "     -> Trace ID: 0102030405060708090a0b0c0d0e0f10\n"
                 "     -> ID: 2122232425262728\n"
                 "     -> TraceState: rojo=00f067aa0ba902b7\n"
                 "     -> DroppedAttributesCount: 2\n"
                 "Span #1\n");
  // A root span has an empty parent, and unset status reads Unset.
  CHECK_CONTAINS(body,
                 "Span #1\n"
                 "    Trace ID       : 0102030405060708090a0b0c0d0e0f10\n"
                 "    Parent ID      : \n"
                 "    ID             : 2122232425262728\n"
                 "    Name           : root\n"
                 "    Kind           : Client\n");
  CHECK_CONTAINS(body, "    Status code    : Unset\n");
}

TEST_CASE("detailed verbosity dumps every metric point type", "[debug][formatter]") {
  FormattedPayload out = FormatMetrics(MakeMetrics(), Verbosity::kDetailed);
  const std::string& body = out.body;
  CHECK_CONTAINS(body,
                 "ResourceMetrics #0\n"
                 "Resource SchemaURL: \n"
                 "Resource attributes:\n"
                 "     -> service.name: Str(svc)\n"
                 "ScopeMetrics #0\n"
                 "ScopeMetrics SchemaURL: \n"
                 "InstrumentationScope my.lib 1.2.3\n"
                 "Metric #0\n");
  CHECK_CONTAINS(body,
                 "Metric #0\n"
                 "Descriptor:\n"
                 "     -> Name: requests\n"
                 "     -> Description: total requests\n"
                 "     -> Unit: 1\n"
                 "     -> DataType: Gauge\n"
                 "NumberDataPoints #0\n"
                 "Data point attributes:\n"
                 "     -> route: Str(/a)\n"
                 "StartTimestamp: 2018-12-13 14:51:00 +0000 UTC\n"
                 "Timestamp: 2018-12-13 14:51:01 +0000 UTC\n"
                 "Value: 7\n"
                 "Exemplars:\n"
                 "Exemplar #0\n"
                 "     -> Trace ID: 0102030405060708090a0b0c0d0e0f10\n"
                 "     -> Span ID: 1112131415161718\n"
                 "     -> Timestamp: 2018-12-13 14:51:00 +0000 UTC\n"
                 "     -> Value: 7\n"
                 "     -> FilteredAttributes:\n"
                 "          -> user: Str(bob)\n"
                 "NumberDataPoints #1\n");
  CHECK_CONTAINS(body,
                 "     -> DataType: Sum\n"
                 "     -> IsMonotonic: true\n"
                 "     -> AggregationTemporality: Cumulative\n"
                 "NumberDataPoints #0\n"
                 "StartTimestamp: 1970-01-01 00:00:00 +0000 UTC\n"
                 "Timestamp: 2018-12-13 14:51:00 +0000 UTC\n"
                 "Value: 1.500000\n");
  CHECK_CONTAINS(body,
                 "     -> DataType: Histogram\n"
                 "     -> AggregationTemporality: Delta\n"
                 "HistogramDataPoints #0\n"
                 "StartTimestamp: 1970-01-01 00:00:00 +0000 UTC\n"
                 "Timestamp: 2018-12-13 14:51:00 +0000 UTC\n"
                 "Count: 6\n"
                 "Sum: 12.500000\n"
                 "Min: 0.500000\n"
                 "Max: 9.000000\n"
                 "ExplicitBounds #0: 1.000000\n"
                 "ExplicitBounds #1: 5.000000\n"
                 "Buckets #0, Count: 1\n"
                 "Buckets #1, Count: 2\n"
                 "Buckets #2, Count: 3\n");
  CHECK_CONTAINS(body,
                 "     -> DataType: ExponentialHistogram\n"
                 "     -> AggregationTemporality: Delta\n"
                 "ExponentialHistogramDataPoints #0\n"
                 "StartTimestamp: 1970-01-01 00:00:00 +0000 UTC\n"
                 "Timestamp: 2018-12-13 14:51:00 +0000 UTC\n"
                 "Count: 4\n"
                 "Sum: 2.250000\n"
                 "Bucket [-2.000000, -1.000000), Count: 1\n"
                 "Bucket [0, 0], Count: 1\n"
                 "Bucket (1.000000, 2.000000], Count: 1\n"
                 "Bucket (2.000000, 4.000000], Count: 1\n");
  CHECK_CONTAINS(body,
                 "     -> DataType: Summary\n"
                 "SummaryDataPoints #0\n"
                 "StartTimestamp: 1970-01-01 00:00:00 +0000 UTC\n"
                 "Timestamp: 2018-12-13 14:51:00 +0000 UTC\n"
                 "Count: 3\n"
                 "Sum: 6.000000\n"
                 "QuantileValue #0: Quantile 0.500000, Value 2.000000\n"
                 "QuantileValue #1: Quantile 0.990000, Value 3.000000\n");
}

TEST_CASE("detailed verbosity dumps log records", "[debug][formatter]") {
  FormattedPayload out = FormatLogs(MakeLogs(), Verbosity::kDetailed);
  const std::string& body = out.body;
  CHECK_CONTAINS(body,
                 "ResourceLog #0\n"
                 "Resource SchemaURL: \n"
                 "Resource attributes:\n"
                 "     -> service.name: Str(svc)\n"
                 "ScopeLogs #0\n"
                 "ScopeLogs SchemaURL: \n"
                 "InstrumentationScope my.lib 1.2.3\n"
                 "LogRecord #0\n"
                 "ObservedTimestamp: 1970-01-01 00:00:00 +0000 UTC\n"
                 "Timestamp: 2018-12-13 14:51:00 +0000 UTC\n"
                 "SeverityText: INFO\n"
                 "SeverityNumber: Info(9)\n"
                 "Body: Str(hello world)\n"
                 "Attributes:\n"
                 "     -> user: Str(bob)\n"
                 "Trace ID: 0102030405060708090a0b0c0d0e0f10\n"
                 "Span ID: 1112131415161718\n"
                 "Flags: 1\n"
                 "LogRecord #1\n");
  CHECK_CONTAINS(body,
                 "LogRecord #1\n"
                 "ObservedTimestamp: 1970-01-01 00:00:00 +0000 UTC\n"
                 "Timestamp: 1970-01-01 00:00:00 +0000 UTC\n"
                 "SeverityText: \n"
                 "SeverityNumber: Error(17)\n"
                 "EventName: login\n"
                 "Body: Map({\"k\":\"v\",\"n\":2})\n"
                 "Trace ID: \n"
                 "Span ID: \n"
                 "Flags: 0\n");
  CHECK_CONTAINS(body, "SeverityNumber: Warn3(15)\nBody: Empty()\n");
}

TEST_CASE("resource entity refs and metric metadata are shown in detail", "[debug][formatter]") {
  MetricsRequest request = MakeMetrics();
  auto* res = request.mutable_resource_metrics(0)->mutable_resource();
  common::EntityRef* ref = res->add_entity_refs();
  ref->set_type("service");
  ref->set_schema_url("https://opentelemetry.io/schemas/1.21.0");
  ref->add_id_keys("service.name");
  AddStr(
      request.mutable_resource_metrics(0)->mutable_scope_metrics(0)->mutable_metrics(0)->mutable_metadata(),
      "meta.key", "meta-value");
  std::string body = FormatMetrics(request, Verbosity::kDetailed).body;
  CHECK_CONTAINS(body,
                 "Resource entity refs:\n"
                 "     -> Entity ref #0:\n"
                 "          -> Type: service\n"
                 "          -> Schema URL: https://opentelemetry.io/schemas/1.21.0\n"
                 "          -> ID keys:\n"
                 "               -> service.name\n"
                 "ScopeMetrics #0\n");
  CHECK_CONTAINS(body,
                 "     -> DataType: Gauge\n"
                 "     -> Metadata:\n"
                 "          -> meta.key: Str(meta-value)\n"
                 "NumberDataPoints #0\n");
}

TEST_CASE("FormatPayload decodes serialized requests of each signal", "[debug][formatter]") {
  auto traces = FormatPayload(Signal::kTraces, MakeTraces().SerializeAsString(), Verbosity::kDetailed);
  REQUIRE(traces.ok());
  CHECK(traces->Summary() == "Traces\t{\"resource spans\": 1, \"spans\": 2}");
  CHECK_CONTAINS(traces->body, "    Name           : GET /\n");

  auto metrics = FormatPayload(Signal::kMetrics, MakeMetrics().SerializeAsString(), Verbosity::kNormal);
  REQUIRE(metrics.ok());
  CHECK_CONTAINS(metrics->body, "requests{route=/a} 7\n");

  auto logs = FormatPayload(Signal::kLogs, MakeLogs().SerializeAsString(), Verbosity::kBasic);
  REQUIRE(logs.ok());
  CHECK(logs->Summary() == "Logs\t{\"resource logs\": 1, \"log records\": 3}");

  // Empty bytes are a valid, empty request.
  auto empty = FormatPayload(Signal::kTraces, "", Verbosity::kDetailed);
  REQUIRE(empty.ok());
  CHECK(empty->Summary() == "Traces\t{\"resource spans\": 0, \"spans\": 0}");
  CHECK(empty->body.empty());
}

TEST_CASE("FormatPayload refuses bytes that do not parse", "[debug][formatter]") {
  // Field 1, length-delimited, claiming 100 bytes that are not there.
  auto truncated = FormatPayload(Signal::kTraces, std::string("\x0a\x64\x01", 3), Verbosity::kBasic);
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.status().code() == StatusCode::kInvalidArgument);

  auto garbage = FormatPayload(Signal::kLogs, std::string("\xff\xff\xff\xff", 4), Verbosity::kDetailed);
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace otlpd::exporters::debug
