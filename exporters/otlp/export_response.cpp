#include "exporters/otlp/export_response.h"

#include <array>

#include "otlp/wire/wire_format.h"

namespace otlpd::exporters::otlp {
namespace {

constexpr std::array<std::string_view, 17> kCodeNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

std::string CodeName(int code) {
  if (code >= 0 && code < static_cast<int>(kCodeNames.size())) return std::string(kCodeNames[code]);
  return "code " + std::to_string(code);
}

// google.protobuf.Duration {1: int64 seconds, 2: int32 nanos}.
std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view bytes) {
  wire::Reader r(bytes);
  std::int64_t seconds = 0, nanos = 0;
  while (!r.AtEnd()) {
    wire::Field f;
    if (!r.ReadField(f)) return std::nullopt;
    if (f.type != wire::WireType::kVarint) continue;
    if (f.number == 1) seconds = static_cast<std::int64_t>(f.value);
    if (f.number == 2) nanos = static_cast<std::int32_t>(f.value);
  }
  if (seconds < 0 || nanos < 0) return std::chrono::nanoseconds(0);
  // Far beyond any sensible throttle: clamp rather than overflow.
  constexpr std::int64_t kMaxSeconds = 100LL * 365 * 24 * 3600;
  if (seconds > kMaxSeconds) seconds = kMaxSeconds;
  return std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos);
}

}  // namespace

std::string_view ExportMethod(Signal signal) {
  switch (signal) {
    case Signal::kTraces: return "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    case Signal::kMetrics: return "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    case Signal::kLogs: return "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    case Signal::kProfiles:
      return "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export";
  }
  return "";
}

std::optional<PartialSuccess> ParseExportResponse(std::string_view bytes) {
  PartialSuccess out;
  wire::Reader r(bytes);
  while (!r.AtEnd()) {
    wire::Field f;
    if (!r.ReadField(f)) return std::nullopt;
    if (f.number != 1) continue;  // unknown fields are skipped, as protobuf does
    if (f.type != wire::WireType::kLen) return std::nullopt;
    out.present = true;
    // A repeated occurrence of a message field merges into the earlier one.
    wire::Reader inner(f.payload);
    while (!inner.AtEnd()) {
      wire::Field g;
      if (!inner.ReadField(g)) return std::nullopt;
      if (g.number == 1 && g.type == wire::WireType::kVarint) {
        // int64 on the wire; a negative count means nothing was rejected.
        auto v = static_cast<std::int64_t>(g.value);
        out.rejected = v > 0 ? static_cast<std::uint64_t>(v) : 0;
      } else if (g.number == 2 && g.type == wire::WireType::kLen) {
        out.error_message.assign(g.payload);
      }
    }
  }
  return out;
}

std::optional<std::chrono::nanoseconds> FindRetryDelay(std::string_view status_details) {
  constexpr std::string_view kRetryInfoUrl = "type.googleapis.com/google.rpc.RetryInfo";
  wire::Reader r(status_details);
  while (!r.AtEnd()) {
    wire::Field f;
    if (!r.ReadField(f)) return std::nullopt;
    if (f.number != 3 || f.type != wire::WireType::kLen) continue;  // Status.details: repeated Any
    std::string_view type_url, value;
    wire::Reader any(f.payload);
    while (!any.AtEnd()) {
      wire::Field g;
      if (!any.ReadField(g)) break;
      if (g.type != wire::WireType::kLen) continue;
      if (g.number == 1) type_url = g.payload;
      if (g.number == 2) value = g.payload;
    }
    if (type_url != kRetryInfoUrl) continue;
    // RetryInfo {1: Duration retry_delay}; RetryInfo without a delay still says "retry".
    std::chrono::nanoseconds delay{0};
    wire::Reader info(value);
    while (!info.AtEnd()) {
      wire::Field g;
      if (!info.ReadField(g)) break;
      if (g.number == 1 && g.type == wire::WireType::kLen) {
        if (auto d = ParseDuration(g.payload)) delay = *d;
      }
    }
    return delay;
  }
  return std::nullopt;
}

Status ClassifyGrpcStatus(int code, std::string_view message, std::string_view status_details) {
  std::string text = CodeName(code) + ": " + std::string(message);
  std::optional<std::chrono::nanoseconds> delay = FindRetryDelay(status_details);
  auto hint = [&] {
    return delay ? std::chrono::ceil<std::chrono::milliseconds>(*delay) : std::chrono::milliseconds(0);
  };
  switch (code) {
    case 1:   // CANCELLED
    case 4:   // DEADLINE_EXCEEDED
    case 10:  // ABORTED
    case 11:  // OUT_OF_RANGE
    case 14:  // UNAVAILABLE
    case 15:  // DATA_LOSS
      return Status::Unavailable(std::move(text), hint());
    case 8:  // RESOURCE_EXHAUSTED: the server can recover only if it says so
      if (delay) return Status::Unavailable(std::move(text), hint());
      return Status::ResourceExhausted(std::move(text));
    case 3:  // INVALID_ARGUMENT
      return Status::InvalidArgument(std::move(text));
    default: return Status::Internal(std::move(text));
  }
}

}  // namespace otlpd::exporters::otlp
