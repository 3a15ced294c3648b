#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "exporters/debug/config.h"
#include "internal/go_format.h"
#include "internal/signal.h"
#include "internal/status.h"

namespace opentelemetry::proto {
namespace common::v1 {
class AnyValue;
}
namespace collector::trace::v1 {
class ExportTraceServiceRequest;
}
namespace collector::metrics::v1 {
class ExportMetricsServiceRequest;
}
namespace collector::logs::v1 {
class ExportLogsServiceRequest;
}
namespace collector::profiles::v1development {
class ExportProfilesServiceRequest;
}
}  // namespace opentelemetry::proto

// Pure text rendering of OTLP payloads in the shapes otelcol's debug exporter
// prints, so its output reads the same to people used to otelcol.
namespace otlpd::exporters::debug {

// One payload rendered. The summary is what otelcol logs as a message with
// fields: message "Traces", fields `"resource spans": 1, "spans": 2`.
struct FormattedPayload {
  std::string message;  // "Traces", "Metrics", "Logs" or "Profiles"
  std::string fields;   // the counts as zap-style JSON members, without braces
  std::string body;     // normal/detailed text, every line ending in '\n'; empty for basic

  // "Traces\t{\"resource spans\": 1, \"spans\": 2}" (zap's console encoding), no newline.
  std::string Summary() const;
  // Summary, newline, then the body: what one Consume writes.
  std::string Text() const;
};

// Decodes `bytes` (a serialized Export*ServiceRequest of `signal`) and renders
// it. InvalidArgument when the bytes do not parse.
Result<FormattedPayload> FormatPayload(Signal signal, std::string_view bytes, Verbosity verbosity);

FormattedPayload FormatTraces(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request,
    Verbosity verbosity);
FormattedPayload FormatMetrics(
    const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& request,
    Verbosity verbosity);
FormattedPayload FormatLogs(
    const opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest& request, Verbosity verbosity);
FormattedPayload FormatProfiles(
    const opentelemetry::proto::collector::profiles::v1development::ExportProfilesServiceRequest& request,
    Verbosity verbosity);

// The building blocks, exposed for tests and for other text outputs.

// Go's time.Time.String() of the UTC instant: "2018-12-13 14:51:00.000000123 +0000 UTC"
// (fraction without trailing zeros, omitted when zero).
std::string FormatTimestamp(std::uint64_t unix_nanos);
// Lower-case hex of a trace or span id; empty when it is empty or all zero
// (pdata prints invalid ids as nothing).
std::string FormatId(std::string_view id_bytes);
// pdata Value.AsString(): strings as is, numbers, maps and lists as JSON
// (map keys sorted), bytes as base64.
std::string ValueAsString(const opentelemetry::proto::common::v1::AnyValue& value);
// The typed form of detailed output: Str(x), Int(5), Double(1.5), Bool(true),
// Map({...}), Slice([...]), Bytes(base64), Empty().
std::string TypedValue(const opentelemetry::proto::common::v1::AnyValue& value);
// Go's %v for a float64, as the detailed output prints points and bounds.
using otlpd::GoFloat;

}  // namespace otlpd::exporters::debug
