#include "exporters/otlp/export_response.h"

#include <catch2/catch.hpp>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

using namespace otlpd;
using namespace std::chrono_literals;
using namespace exporters::otlp;
using namespace opentelemetry::proto::collector;

namespace {

std::string StatusWithRetryInfo(std::optional<std::chrono::milliseconds> delay, bool other_detail = false) {
  google::rpc::Status status;
  status.set_code(14);
  status.set_message("busy");
  if (other_detail) {
    google::rpc::BadRequest bad;
    bad.add_field_violations()->set_field("x");
    status.add_details()->PackFrom(bad);
  }
  if (delay) {
    google::rpc::RetryInfo info;
    info.mutable_retry_delay()->set_seconds(delay->count() / 1000);
    info.mutable_retry_delay()->set_nanos(static_cast<int>((delay->count() % 1000) * 1000000));
    status.add_details()->PackFrom(info);
  }
  return status.SerializeAsString();
}

}  // namespace

TEST_CASE("every signal's Export method") {
  CHECK(ExportMethod(Signal::kTraces) == "/opentelemetry.proto.collector.trace.v1.TraceService/Export");
  CHECK(ExportMethod(Signal::kMetrics) == "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export");
  CHECK(ExportMethod(Signal::kLogs) == "/opentelemetry.proto.collector.logs.v1.LogsService/Export");
}

TEST_CASE("partial_success is read from every signal's response") {
  trace::v1::ExportTraceServiceResponse t;
  t.mutable_partial_success()->set_rejected_spans(3);
  t.mutable_partial_success()->set_error_message("bad spans");
  metrics::v1::ExportMetricsServiceResponse m;
  m.mutable_partial_success()->set_rejected_data_points(4);
  logs::v1::ExportLogsServiceResponse l;
  l.mutable_partial_success()->set_error_message("just a warning");

  auto pt = ParseExportResponse(t.SerializeAsString());
  REQUIRE(pt);
  CHECK(pt->present);
  CHECK(pt->rejected == 3);
  CHECK(pt->error_message == "bad spans");
  auto pm = ParseExportResponse(m.SerializeAsString());
  REQUIRE(pm);
  CHECK(pm->rejected == 4);
  auto pl = ParseExportResponse(l.SerializeAsString());
  REQUIRE(pl);
  CHECK(pl->rejected == 0);
  CHECK(pl->error_message == "just a warning");

  auto empty = ParseExportResponse("");
  REQUIRE(empty);
  CHECK_FALSE(empty->present);
  CHECK_FALSE(ParseExportResponse(std::string("\x0a\x05\x08", 3)));  // truncated
  // Unknown fields are skipped as protobuf does.
  CHECK(ParseExportResponse(std::string("\x10\x01", 2)));
}

TEST_CASE("RetryInfo is found in grpc-status-details-bin") {
  CHECK(FindRetryDelay(StatusWithRetryInfo(2500ms)) == std::chrono::nanoseconds(2500ms));
  CHECK(FindRetryDelay(StatusWithRetryInfo(3s, /*other_detail=*/true)) == std::chrono::nanoseconds(3s));
  CHECK(FindRetryDelay(StatusWithRetryInfo(0ms)) == std::chrono::nanoseconds(0));  // present, no delay
  CHECK_FALSE(FindRetryDelay(StatusWithRetryInfo(std::nullopt, true)));
  CHECK_FALSE(FindRetryDelay(""));
  CHECK_FALSE(FindRetryDelay("garbage\xff"));
}

TEST_CASE("gRPC codes are classified as the OTLP spec says") {
  const std::string with_retry_info = StatusWithRetryInfo(4s);
  for (int code : {1, 4, 10, 11, 14, 15}) {
    Status s = ClassifyGrpcStatus(code, "x", "");
    CHECK(s.retryable());
    CHECK(s.retry_after() == 0ms);
    CHECK(ClassifyGrpcStatus(code, "x", with_retry_info).retry_after() == 4s);
  }
  for (int code : {2, 3, 5, 6, 7, 9, 12, 13, 16, 17})
    CHECK_FALSE(ClassifyGrpcStatus(code, "x", "").retryable());
  // RESOURCE_EXHAUSTED is retryable only when the server says it can recover.
  CHECK_FALSE(ClassifyGrpcStatus(8, "x", "").retryable());
  CHECK(ClassifyGrpcStatus(8, "x", "").code() == StatusCode::kResourceExhausted);
  CHECK(ClassifyGrpcStatus(8, "x", with_retry_info).retryable());
  CHECK(ClassifyGrpcStatus(8, "x", with_retry_info).retry_after() == 4s);
  CHECK(ClassifyGrpcStatus(3, "bad", "").code() == StatusCode::kInvalidArgument);
  CHECK(ClassifyGrpcStatus(14, "down", "").message() == "UNAVAILABLE: down");
}
