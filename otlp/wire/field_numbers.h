#pragma once

#include <cstdint>

// Field numbers of the OTLP messages (opentelemetry-proto v1.x) that code
// reads or writes without the generated classes. One home, so a component
// names `wire::kSpanTraceId` rather than a bare 1. Plain enums: they convert
// to the std::uint32_t field numbers the wire functions take.
namespace otlpd::wire {

// Export{Trace,Metrics,Logs,Profiles}ServiceRequest: resource_spans,
// resource_metrics, resource_logs, resource_profiles.
enum RequestField : std::uint32_t { kRequestEntries = 1 };

// ResourceSpans / ResourceMetrics / ResourceLogs (schema_url also of ScopeX),
// then ScopeSpans / ScopeMetrics / ScopeLogs: scope, then the items (spans,
// metrics, log_records).
enum EntryField : std::uint32_t { kEntryResource = 1, kEntryScopes = 2, kEntrySchemaUrl = 3 };
enum ScopeEntryField : std::uint32_t { kScopeEntryScope = 1, kScopeEntryItems = 2 };

// Resource.attributes; InstrumentationScope's name, version and attributes.
enum AttributesField : std::uint32_t { kResourceAttributes = 1, kScopeAttributes = 3 };
enum ScopeField : std::uint32_t { kScopeName = 1, kScopeVersion = 2 };

// KeyValue; AnyValue's scalar members and its last (string, bool, int, double,
// array, kvlist, bytes).
enum KeyValueField : std::uint32_t { kKeyValueKey = 1, kKeyValueValue = 2 };
enum AnyValueField : std::uint32_t {
  kAnyValueString = 1,
  kAnyValueBool = 2,
  kAnyValueInt = 3,
  kAnyValueDouble = 4,
  kAnyValueLastMember = 7,
};

// Span: where it sits in its trace, then what it is.
enum SpanTraceField : std::uint32_t { kSpanTraceId = 1, kSpanTraceState = 3, kSpanParentSpanId = 4 };
enum SpanField : std::uint32_t { kSpanName = 5, kSpanKind = 6, kSpanAttributes = 9 };
enum LogField : std::uint32_t { kLogSeverityText = 3, kLogBody = 5, kLogAttributes = 6, kLogTraceId = 9 };
enum MetricField : std::uint32_t { kMetricName = 1, kMetricUnit = 3 };

// Metric.data: the oneof's members; each holds its data_points in field 1.
enum MetricDataField : std::uint32_t {
  kMetricGauge = 5,
  kMetricSum = 7,
  kMetricHistogram = 9,
  kMetricExpHistogram = 10,
  kMetricSummary = 11,
};
enum MetricDataMemberField : std::uint32_t {
  kDataPoints = 1,
  kDataTemporality = 2,  // Sum, Histogram, ExponentialHistogram: aggregation_temporality
  kSumIsMonotonic = 3,
};
// The attributes of each kind of data point.
enum PointAttributesField : std::uint32_t {
  kNumberPointAttributes = 7,  // NumberDataPoint, SummaryDataPoint
  kHistogramPointAttributes = 9,
  kExpHistogramPointAttributes = 1,
};

inline bool IsMetricDataField(std::uint32_t n) {
  return n == kMetricGauge || n == kMetricSum || n == kMetricHistogram || n == kMetricExpHistogram ||
         n == kMetricSummary;
}

}  // namespace otlpd::wire
