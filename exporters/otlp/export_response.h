#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "internal/signal.h"
#include "internal/status.h"

namespace otlpd::exporters::otlp {

// The gRPC method that exports `signal`.
std::string_view ExportMethod(Signal signal);

// Export{Trace,Metrics,Logs}ServiceResponse.partial_success: the three
// responses share one layout (field 1 holding {1: int64 rejected, 2: string
// error_message}), so one walk serves every signal.
struct PartialSuccess {
  std::uint64_t rejected = 0;
  std::string error_message;
  bool present = false;
};
// nullopt when the bytes are not a valid response.
std::optional<PartialSuccess> ParseExportResponse(std::string_view bytes);

// google.rpc.RetryInfo.retry_delay found in a serialized google.rpc.Status
// (the grpc-status-details-bin trailer); nullopt when there is none.
std::optional<std::chrono::nanoseconds> FindRetryDelay(std::string_view status_details);

// A failed call's gRPC status as the exporter helper understands it (OTLP
// spec, otel-compat A.4): CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE,
// UNAVAILABLE and DATA_LOSS are retryable, RESOURCE_EXHAUSTED only with
// RetryInfo; everything else is permanent. A RetryInfo delay becomes the
// throttle hint. `code` is the numeric gRPC code.
Status ClassifyGrpcStatus(int code, std::string_view message, std::string_view status_details);

}  // namespace otlpd::exporters::otlp
