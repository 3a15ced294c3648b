#pragma once

#include <cstdint>

// Field numbers of the OTLP messages (opentelemetry-proto v1.x) that code
// reads or writes without the generated classes. One home, so a component
// names `wire::kSpanTraceId` rather than a bare 1.
namespace otlpd::wire {

// Export{Trace,Metrics,Logs,Profiles}ServiceRequest: resource_spans,
// resource_metrics, resource_logs, resource_profiles.
inline constexpr std::uint32_t kRequestEntries = 1;

// ResourceSpans / ResourceMetrics / ResourceLogs.
inline constexpr std::uint32_t kEntryResource = 1;
inline constexpr std::uint32_t kEntryScopes = 2;
inline constexpr std::uint32_t kEntrySchemaUrl = 3;  // also ScopeX.schema_url

// ScopeSpans / ScopeMetrics / ScopeLogs: scope, then spans / metrics / log_records.
inline constexpr std::uint32_t kScopeEntryScope = 1;
inline constexpr std::uint32_t kScopeEntryItems = 2;

// Resource and InstrumentationScope.
inline constexpr std::uint32_t kResourceAttributes = 1;
inline constexpr std::uint32_t kScopeAttributes = 3;

// KeyValue and AnyValue.
inline constexpr std::uint32_t kKeyValueKey = 1;
inline constexpr std::uint32_t kKeyValueValue = 2;
inline constexpr std::uint32_t kAnyValueString = 1;
inline constexpr std::uint32_t kAnyValueLastMember = 7;  // string, bool, int, double, array, kvlist, bytes

// Span.
inline constexpr std::uint32_t kSpanTraceId = 1;
inline constexpr std::uint32_t kSpanTraceState = 3;
inline constexpr std::uint32_t kSpanParentSpanId = 4;
inline constexpr std::uint32_t kSpanName = 5;
inline constexpr std::uint32_t kSpanKind = 6;
inline constexpr std::uint32_t kSpanAttributes = 9;

// LogRecord.
inline constexpr std::uint32_t kLogSeverityText = 3;
inline constexpr std::uint32_t kLogBody = 5;
inline constexpr std::uint32_t kLogAttributes = 6;
inline constexpr std::uint32_t kLogTraceId = 9;

// Metric.
inline constexpr std::uint32_t kMetricName = 1;

}  // namespace otlpd::wire
