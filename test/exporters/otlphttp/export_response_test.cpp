#include "exporters/otlphttp/export_response.h"

#include <catch2/catch.hpp>

#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

using namespace otlpd;
using namespace std::chrono_literals;
using Catch::Contains;
using exporters::otlphttp::ClassifyResponse;
using exporters::otlphttp::HttpResponse;
using exporters::otlphttp::ParseRetryAfter;

namespace {

// 1994-11-06 08:49:37 UTC, the RFC's example date.
const std::chrono::system_clock::time_point kDate =
    std::chrono::sys_days(std::chrono::year(1994) / 11 / 6) + 8h + 49min + 37s;

HttpResponse Answer(int status, std::string content_type = "", std::string body = "") {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

std::string RpcStatus(const std::string& message) {
  google::rpc::Status s;
  s.set_code(3);
  s.set_message(message);
  return s.SerializeAsString();
}

}  // namespace

TEST_CASE("Retry-After is delay-seconds or any HTTP-date form") {
  CHECK(ParseRetryAfter("120", kDate) == std::chrono::milliseconds(120s));
  CHECK(ParseRetryAfter(" 7 ", kDate) == std::chrono::milliseconds(7s));
  CHECK(ParseRetryAfter("0", kDate) == std::chrono::milliseconds(0));
  // IMF-fixdate, RFC 850 and asctime, each 30 s after `now`.
  CHECK(ParseRetryAfter("Sun, 06 Nov 1994 08:50:07 GMT", kDate) == std::chrono::milliseconds(30s));
  CHECK(ParseRetryAfter("Sunday, 06-Nov-94 08:50:07 GMT", kDate) == std::chrono::milliseconds(30s));
  CHECK(ParseRetryAfter("Sun Nov  6 08:50:07 1994", kDate) == std::chrono::milliseconds(30s));
  // Across a day and a month boundary.
  CHECK(ParseRetryAfter("Thu, 01 Dec 1994 00:00:00 GMT", kDate) ==
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::sys_days(std::chrono::year(1994) / 12 / 1) - kDate));
  // A date already past is no wait at all.
  CHECK(ParseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", kDate) == std::chrono::milliseconds(0));
  // Not parseable: no hint.
  for (const char* bad :
       {"", "soon", "-5", "1.5", "Sun, 06 Nov 1994 25:00:00 GMT", "Sun, 31 Feb 1994 08:00:00 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 CET", "06 Nov 1994"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseRetryAfter(bad, kDate).has_value());
  }
  // Absurd values are clamped instead of overflowing.
  CHECK(ParseRetryAfter("999999999999999999", kDate) > std::chrono::milliseconds(24h * 365));
}

TEST_CASE("2xx answers: success, partial success, or a body that does not parse") {
  const auto now = std::chrono::system_clock::now();
  CHECK(ClassifyResponse(Signal::kTraces, "u", Answer(200), now).status.ok());
  CHECK(ClassifyResponse(Signal::kTraces, "u", Answer(202, "application/x-protobuf"), now).status.ok());
  CHECK(ClassifyResponse(Signal::kTraces, "u", Answer(200, "application/json", "{}"), now).status.ok());
  // A body otelcol would not read either.
  CHECK(ClassifyResponse(Signal::kTraces, "u", Answer(200, "text/plain", "ok"), now).status.ok());

  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse traces;
  traces.mutable_partial_success()->set_rejected_spans(3);
  traces.mutable_partial_success()->set_error_message("3 spans too old");
  auto r = ClassifyResponse(Signal::kTraces, "u",
                            Answer(200, "application/x-protobuf", traces.SerializeAsString()), now);
  CHECK(r.status.ok());
  CHECK(r.rejected_items == 3);
  CHECK(r.rejection_message == "3 spans too old");

  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceResponse metrics;
  metrics.mutable_partial_success()->set_rejected_data_points(4);
  r = ClassifyResponse(Signal::kMetrics, "u",
                       Answer(200, "application/x-protobuf; charset=utf-8", metrics.SerializeAsString()),
                       now);
  CHECK(r.rejected_items == 4);

  // JSON, with the camelCase names, the proto names, strings or numbers.
  r = ClassifyResponse(Signal::kLogs, "u",
                       Answer(200, "application/json",
                              R"({"partialSuccess":{"rejectedLogRecords":"5","errorMessage":"too big"}})"),
                       now);
  CHECK(r.rejected_items == 5);
  CHECK(r.rejection_message == "too big");
  r = ClassifyResponse(Signal::kMetrics, "u",
                       Answer(200, "Application/JSON", R"({"partial_success":{"rejected_data_points":2}})"),
                       now);
  CHECK(r.rejected_items == 2);
  // Another signal's count is an unknown field, ignored.
  r = ClassifyResponse(Signal::kTraces, "u",
                       Answer(200, "application/json", R"({"partialSuccess":{"rejectedLogRecords":9}})"),
                       now);
  CHECK(r.status.ok());
  CHECK(r.rejected_items == 0);

  // A 2xx that does not parse as what it claims: permanent, never retried.
  for (const auto& [type, body] : std::vector<std::pair<std::string, std::string>>{
           {"application/x-protobuf", "\xff\xff\xff"},
           {"application/json", "{not json"},
           {"application/json", R"({"partialSuccess":{"rejectedSpans":"many"}})"}}) {
    CAPTURE(type, body);
    auto bad = ClassifyResponse(Signal::kTraces, "http://h/v1/traces", Answer(200, type, body), now);
    CHECK_FALSE(bad.status.ok());
    CHECK_FALSE(bad.status.retryable());
    CHECK_THAT(bad.status.message(), Contains("HTTP 200 from http://h/v1/traces"));
    CHECK_THAT(bad.status.message(), Contains("ExportTraceServiceResponse"));
  }
}

TEST_CASE("only 429, 502, 503 and 504 are retryable") {
  const auto now = std::chrono::system_clock::now();
  for (int code : {429, 502, 503, 504}) {
    CAPTURE(code);
    auto r = ClassifyResponse(Signal::kLogs, "u", Answer(code), now);
    CHECK(r.status.retryable());
    CHECK(r.status.retry_after() == 0ms);
  }
  for (int code : {100, 301, 307, 400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 500, 501, 505, 599}) {
    CAPTURE(code);
    auto r = ClassifyResponse(Signal::kLogs, "u", Answer(code), now);
    CHECK_FALSE(r.status.ok());
    CHECK_FALSE(r.status.retryable());
  }
  CHECK(ClassifyResponse(Signal::kLogs, "u", Answer(400), now).status.code() == StatusCode::kInvalidArgument);
  CHECK(ClassifyResponse(Signal::kLogs, "u", Answer(413), now).status.code() ==
        StatusCode::kResourceExhausted);
}

TEST_CASE("Retry-After on 429 and 503 becomes the throttle hint") {
  const auto now = std::chrono::system_clock::now();
  for (int code : {429, 503}) {
    HttpResponse a = Answer(code);
    a.retry_after = "3";
    CHECK(ClassifyResponse(Signal::kTraces, "u", a, now).status.retry_after() == 3000ms);
  }
  HttpResponse bad_gateway = Answer(502);
  bad_gateway.retry_after = "3";
  CHECK(ClassifyResponse(Signal::kTraces, "u", bad_gateway, now).status.retry_after() == 0ms);
  HttpResponse unreadable = Answer(503);
  unreadable.retry_after = "later";
  auto r = ClassifyResponse(Signal::kTraces, "u", unreadable, now);
  CHECK(r.status.retryable());
  CHECK(r.status.retry_after() == 0ms);
}

TEST_CASE("error answers carry google.rpc.Status.message") {
  const auto now = std::chrono::system_clock::now();
  auto proto =
      ClassifyResponse(Signal::kTraces, "http://h/v1/traces",
                       Answer(400, "application/x-protobuf", RpcStatus("span 3: bad trace id")), now);
  CHECK(proto.status.message() == "HTTP 400 from http://h/v1/traces: span 3: bad trace id");
  auto json = ClassifyResponse(
      Signal::kTraces, "u",
      Answer(503, "application/json", R"({"code":14,"message":"memory limit","details":[{"@type":"x/y"}]})"),
      now);
  CHECK(json.status.message() == "HTTP 503 from u: memory limit");
  auto text = ClassifyResponse(Signal::kTraces, "u", Answer(404, "text/plain", "404 page not found\n"), now);
  CHECK(text.status.message() == "HTTP 404 from u: 404 page not found ");
  // An undecodable Status still leaves the status code.
  auto garbage = ClassifyResponse(Signal::kTraces, "u", Answer(500, "application/x-protobuf", "\xff"), now);
  CHECK(garbage.status.message() == "HTTP 500 from u");
}
