// The OTLP v1.11.0 message schema (profiles: v1development as pdata v1.71.0 has it) as the
// wire walker needs it (internal to otlp/wire).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "internal/signal.h"

namespace otlpd::wire::schema {

// Every OTLP message the walker descends into.
enum class Msg : std::uint8_t {
  kNone,
  // common / resource
  kAnyValue,
  kArrayValue,
  kKeyValueList,
  kKeyValue,
  kScope,  // InstrumentationScope
  kEntityRef,
  kResource,
  // traces
  kTraceRequest,
  kResourceSpans,
  kScopeSpans,
  kSpan,
  kEvent,
  kLink,
  kStatus,
  // metrics
  kMetricsRequest,
  kResourceMetrics,
  kScopeMetrics,
  kMetric,
  kGauge,
  kSum,
  kHistogram,
  kExpHistogram,
  kSummary,
  kNumberDataPoint,
  kHistogramDataPoint,
  kExpHistogramDataPoint,
  kBuckets,
  kSummaryDataPoint,
  kValueAtQuantile,
  kExemplar,
  // logs
  kLogsRequest,
  kResourceLogs,
  kScopeLogs,
  kLogRecord,
  // profiles (v1development)
  kProfilesRequest,
  kResourceProfiles,
  kScopeProfiles,
  kProfile,
  kProfilesDictionary,
  kValueType,
  kSample,
  kMapping,
  kLocation,
  kLine,
  kFunction,
  kProfileLink,
  kStack,
  kKeyValueAndUnit,
  kCount,
};

// What a field number holds, as far as validation cares.
enum class Kind : std::uint8_t {
  kUnknown,  // not in the schema (or reserved): skipped by wire type
  kVarint,   // int32/int64/uint32/uint64/sint32/bool/enum
  kFixed32,
  kFixed64,  // fixed64/sfixed64/double
  kString,   // must be UTF-8
  kBytes,
  kTraceId,  // bytes: empty or 16 (otelcol rejects other lengths)
  kSpanId,   // bytes: empty or 8
  kMessage,
  kPackedFixed64,  // repeated fixed64/double: packed or not
  kPackedVarint,   // repeated uint64: packed or not
};

enum FieldFlag : std::uint8_t {
  kRepeated = 1,   // error paths print an index
  kItem = 2,       // each occurrence is one counted item (span, data point, log record, sample)
  kOneofData = 4,  // Metric.data: only the last oneof member counts
};

struct FieldSpec {
  Kind kind = Kind::kUnknown;
  Msg message = Msg::kNone;
  std::uint8_t flags = 0;
  const char* name = nullptr;
};

// The largest field number any OTLP message uses (Span.flags).
inline constexpr std::uint32_t kMaxKnownField = 16;
using FieldTable = std::array<FieldSpec, kMaxKnownField + 1>;

constexpr std::array<FieldTable, static_cast<std::size_t>(Msg::kCount)> BuildSchema() {
  std::array<FieldTable, static_cast<std::size_t>(Msg::kCount)> s{};
  auto set = [&s](Msg m, std::uint32_t n, Kind k, const char* name, Msg sub = Msg::kNone,
                  std::uint8_t flags = 0) {
    s[static_cast<std::size_t>(m)][n] = FieldSpec{k, sub, flags, name};
  };
  using K = Kind;
  using M = Msg;
  constexpr std::uint8_t R = kRepeated;

  set(M::kAnyValue, 1, K::kString, "string_value");
  set(M::kAnyValue, 2, K::kVarint, "bool_value");
  set(M::kAnyValue, 3, K::kVarint, "int_value");
  set(M::kAnyValue, 4, K::kFixed64, "double_value");
  set(M::kAnyValue, 5, K::kMessage, "array_value", M::kArrayValue);
  set(M::kAnyValue, 6, K::kMessage, "kvlist_value", M::kKeyValueList);
  set(M::kAnyValue, 7, K::kBytes, "bytes_value");
  set(M::kAnyValue, 8, K::kVarint, "string_value_strindex");
  set(M::kArrayValue, 1, K::kMessage, "values", M::kAnyValue, R);
  set(M::kKeyValueList, 1, K::kMessage, "values", M::kKeyValue, R);
  set(M::kKeyValue, 1, K::kString, "key");
  set(M::kKeyValue, 2, K::kMessage, "value", M::kAnyValue);
  set(M::kKeyValue, 3, K::kVarint, "key_strindex");
  set(M::kScope, 1, K::kString, "name");
  set(M::kScope, 2, K::kString, "version");
  set(M::kScope, 3, K::kMessage, "attributes", M::kKeyValue, R);
  set(M::kScope, 4, K::kVarint, "dropped_attributes_count");
  set(M::kEntityRef, 1, K::kString, "schema_url");
  set(M::kEntityRef, 2, K::kString, "type");
  set(M::kEntityRef, 3, K::kString, "id_keys", M::kNone, R);
  set(M::kEntityRef, 4, K::kString, "description_keys", M::kNone, R);
  set(M::kResource, 1, K::kMessage, "attributes", M::kKeyValue, R);
  set(M::kResource, 2, K::kVarint, "dropped_attributes_count");
  set(M::kResource, 3, K::kMessage, "entity_refs", M::kEntityRef, R);

  set(M::kTraceRequest, 1, K::kMessage, "resource_spans", M::kResourceSpans, R);
  set(M::kResourceSpans, 1, K::kMessage, "resource", M::kResource);
  set(M::kResourceSpans, 2, K::kMessage, "scope_spans", M::kScopeSpans, R);
  set(M::kResourceSpans, 3, K::kString, "schema_url");
  set(M::kScopeSpans, 1, K::kMessage, "scope", M::kScope);
  set(M::kScopeSpans, 2, K::kMessage, "spans", M::kSpan, R | kItem);
  set(M::kScopeSpans, 3, K::kString, "schema_url");
  set(M::kSpan, 1, K::kTraceId, "trace_id");
  set(M::kSpan, 2, K::kSpanId, "span_id");
  set(M::kSpan, 3, K::kString, "trace_state");
  set(M::kSpan, 4, K::kSpanId, "parent_span_id");
  set(M::kSpan, 5, K::kString, "name");
  set(M::kSpan, 6, K::kVarint, "kind");
  set(M::kSpan, 7, K::kFixed64, "start_time_unix_nano");
  set(M::kSpan, 8, K::kFixed64, "end_time_unix_nano");
  set(M::kSpan, 9, K::kMessage, "attributes", M::kKeyValue, R);
  set(M::kSpan, 10, K::kVarint, "dropped_attributes_count");
  set(M::kSpan, 11, K::kMessage, "events", M::kEvent, R);
  set(M::kSpan, 12, K::kVarint, "dropped_events_count");
  set(M::kSpan, 13, K::kMessage, "links", M::kLink, R);
  set(M::kSpan, 14, K::kVarint, "dropped_links_count");
  set(M::kSpan, 15, K::kMessage, "status", M::kStatus);
  set(M::kSpan, 16, K::kFixed32, "flags");
  set(M::kEvent, 1, K::kFixed64, "time_unix_nano");
  set(M::kEvent, 2, K::kString, "name");
  set(M::kEvent, 3, K::kMessage, "attributes", M::kKeyValue, R);
  set(M::kEvent, 4, K::kVarint, "dropped_attributes_count");
  set(M::kLink, 1, K::kTraceId, "trace_id");
  set(M::kLink, 2, K::kSpanId, "span_id");
  set(M::kLink, 3, K::kString, "trace_state");
  set(M::kLink, 4, K::kMessage, "attributes", M::kKeyValue, R);
  set(M::kLink, 5, K::kVarint, "dropped_attributes_count");
  set(M::kLink, 6, K::kFixed32, "flags");
  set(M::kStatus, 2, K::kString, "message");
  set(M::kStatus, 3, K::kVarint, "code");

  set(M::kMetricsRequest, 1, K::kMessage, "resource_metrics", M::kResourceMetrics, R);
  set(M::kResourceMetrics, 1, K::kMessage, "resource", M::kResource);
  set(M::kResourceMetrics, 2, K::kMessage, "scope_metrics", M::kScopeMetrics, R);
  set(M::kResourceMetrics, 3, K::kString, "schema_url");
  set(M::kScopeMetrics, 1, K::kMessage, "scope", M::kScope);
  set(M::kScopeMetrics, 2, K::kMessage, "metrics", M::kMetric, R);
  set(M::kScopeMetrics, 3, K::kString, "schema_url");
  set(M::kMetric, 1, K::kString, "name");
  set(M::kMetric, 2, K::kString, "description");
  set(M::kMetric, 3, K::kString, "unit");
  set(M::kMetric, 5, K::kMessage, "gauge", M::kGauge, kOneofData);
  set(M::kMetric, 7, K::kMessage, "sum", M::kSum, kOneofData);
  set(M::kMetric, 9, K::kMessage, "histogram", M::kHistogram, kOneofData);
  set(M::kMetric, 10, K::kMessage, "exponential_histogram", M::kExpHistogram, kOneofData);
  set(M::kMetric, 11, K::kMessage, "summary", M::kSummary, kOneofData);
  set(M::kMetric, 12, K::kMessage, "metadata", M::kKeyValue, R);
  set(M::kGauge, 1, K::kMessage, "data_points", M::kNumberDataPoint, R | kItem);
  set(M::kSum, 1, K::kMessage, "data_points", M::kNumberDataPoint, R | kItem);
  set(M::kSum, 2, K::kVarint, "aggregation_temporality");
  set(M::kSum, 3, K::kVarint, "is_monotonic");
  set(M::kHistogram, 1, K::kMessage, "data_points", M::kHistogramDataPoint, R | kItem);
  set(M::kHistogram, 2, K::kVarint, "aggregation_temporality");
  set(M::kExpHistogram, 1, K::kMessage, "data_points", M::kExpHistogramDataPoint, R | kItem);
  set(M::kExpHistogram, 2, K::kVarint, "aggregation_temporality");
  set(M::kSummary, 1, K::kMessage, "data_points", M::kSummaryDataPoint, R | kItem);
  set(M::kNumberDataPoint, 7, K::kMessage, "attributes", M::kKeyValue, R);
  set(M::kNumberDataPoint, 2, K::kFixed64, "start_time_unix_nano");
  set(M::kNumberDataPoint, 3, K::kFixed64, "time_unix_nano");
  set(M::kNumberDataPoint, 4, K::kFixed64, "as_double");
  set(M::kNumberDataPoint, 6, K::kFixed64, "as_int");
  set(M::kNumberDataPoint, 5, K::kMessage, "exemplars", M::kExemplar, R);
  set(M::kNumberDataPoint, 8, K::kVarint, "flags");
  set(M::kHistogramDataPoint, 9, K::kMessage, "attributes", M::kKeyValue, R);
  set(M::kHistogramDataPoint, 2, K::kFixed64, "start_time_unix_nano");
  set(M::kHistogramDataPoint, 3, K::kFixed64, "time_unix_nano");
  set(M::kHistogramDataPoint, 4, K::kFixed64, "count");
  set(M::kHistogramDataPoint, 5, K::kFixed64, "sum");
  set(M::kHistogramDataPoint, 6, K::kPackedFixed64, "bucket_counts");
  set(M::kHistogramDataPoint, 7, K::kPackedFixed64, "explicit_bounds");
  set(M::kHistogramDataPoint, 8, K::kMessage, "exemplars", M::kExemplar, R);
  set(M::kHistogramDataPoint, 10, K::kVarint, "flags");
  set(M::kHistogramDataPoint, 11, K::kFixed64, "min");
  set(M::kHistogramDataPoint, 12, K::kFixed64, "max");
  set(M::kExpHistogramDataPoint, 1, K::kMessage, "attributes", M::kKeyValue, R);
  set(M::kExpHistogramDataPoint, 2, K::kFixed64, "start_time_unix_nano");
  set(M::kExpHistogramDataPoint, 3, K::kFixed64, "time_unix_nano");
  set(M::kExpHistogramDataPoint, 4, K::kFixed64, "count");
  set(M::kExpHistogramDataPoint, 5, K::kFixed64, "sum");
  set(M::kExpHistogramDataPoint, 6, K::kVarint, "scale");
  set(M::kExpHistogramDataPoint, 7, K::kFixed64, "zero_count");
  set(M::kExpHistogramDataPoint, 8, K::kMessage, "positive", M::kBuckets);
  set(M::kExpHistogramDataPoint, 9, K::kMessage, "negative", M::kBuckets);
  set(M::kExpHistogramDataPoint, 10, K::kVarint, "flags");
  set(M::kExpHistogramDataPoint, 11, K::kMessage, "exemplars", M::kExemplar, R);
  set(M::kExpHistogramDataPoint, 12, K::kFixed64, "min");
  set(M::kExpHistogramDataPoint, 13, K::kFixed64, "max");
  set(M::kExpHistogramDataPoint, 14, K::kFixed64, "zero_threshold");
  set(M::kBuckets, 1, K::kVarint, "offset");
  set(M::kBuckets, 2, K::kPackedVarint, "bucket_counts");
  set(M::kSummaryDataPoint, 7, K::kMessage, "attributes", M::kKeyValue, R);
  set(M::kSummaryDataPoint, 2, K::kFixed64, "start_time_unix_nano");
  set(M::kSummaryDataPoint, 3, K::kFixed64, "time_unix_nano");
  set(M::kSummaryDataPoint, 4, K::kFixed64, "count");
  set(M::kSummaryDataPoint, 5, K::kFixed64, "sum");
  set(M::kSummaryDataPoint, 6, K::kMessage, "quantile_values", M::kValueAtQuantile, R);
  set(M::kSummaryDataPoint, 8, K::kVarint, "flags");
  set(M::kValueAtQuantile, 1, K::kFixed64, "quantile");
  set(M::kValueAtQuantile, 2, K::kFixed64, "value");
  set(M::kExemplar, 7, K::kMessage, "filtered_attributes", M::kKeyValue, R);
  set(M::kExemplar, 2, K::kFixed64, "time_unix_nano");
  set(M::kExemplar, 3, K::kFixed64, "as_double");
  set(M::kExemplar, 6, K::kFixed64, "as_int");
  set(M::kExemplar, 4, K::kSpanId, "span_id");
  set(M::kExemplar, 5, K::kTraceId, "trace_id");

  set(M::kLogsRequest, 1, K::kMessage, "resource_logs", M::kResourceLogs, R);
  set(M::kResourceLogs, 1, K::kMessage, "resource", M::kResource);
  set(M::kResourceLogs, 2, K::kMessage, "scope_logs", M::kScopeLogs, R);
  set(M::kResourceLogs, 3, K::kString, "schema_url");
  set(M::kScopeLogs, 1, K::kMessage, "scope", M::kScope);
  set(M::kScopeLogs, 2, K::kMessage, "log_records", M::kLogRecord, R | kItem);
  set(M::kScopeLogs, 3, K::kString, "schema_url");
  set(M::kLogRecord, 1, K::kFixed64, "time_unix_nano");
  set(M::kLogRecord, 11, K::kFixed64, "observed_time_unix_nano");
  set(M::kLogRecord, 2, K::kVarint, "severity_number");
  set(M::kLogRecord, 3, K::kString, "severity_text");
  set(M::kLogRecord, 5, K::kMessage, "body", M::kAnyValue);
  set(M::kLogRecord, 6, K::kMessage, "attributes", M::kKeyValue, R);
  set(M::kLogRecord, 7, K::kVarint, "dropped_attributes_count");
  set(M::kLogRecord, 8, K::kFixed32, "flags");
  set(M::kLogRecord, 9, K::kTraceId, "trace_id");
  set(M::kLogRecord, 10, K::kSpanId, "span_id");
  set(M::kLogRecord, 12, K::kString, "event_name");

  // A profiles request also holds the dictionary its resource entries index
  // into; items are samples (pdata's SampleCount, what otelcol counts).
  set(M::kProfilesRequest, 1, K::kMessage, "resource_profiles", M::kResourceProfiles, R);
  set(M::kProfilesRequest, 2, K::kMessage, "dictionary", M::kProfilesDictionary);
  set(M::kResourceProfiles, 1, K::kMessage, "resource", M::kResource);
  set(M::kResourceProfiles, 2, K::kMessage, "scope_profiles", M::kScopeProfiles, R);
  set(M::kResourceProfiles, 3, K::kString, "schema_url");
  set(M::kScopeProfiles, 1, K::kMessage, "scope", M::kScope);
  set(M::kScopeProfiles, 2, K::kMessage, "profiles", M::kProfile, R);
  set(M::kScopeProfiles, 3, K::kString, "schema_url");
  set(M::kProfile, 1, K::kMessage, "sample_type", M::kValueType);
  set(M::kProfile, 2, K::kMessage, "samples", M::kSample, R | kItem);
  set(M::kProfile, 3, K::kFixed64, "time_unix_nano");
  set(M::kProfile, 4, K::kVarint, "duration_nano");
  set(M::kProfile, 5, K::kMessage, "period_type", M::kValueType);
  set(M::kProfile, 6, K::kVarint, "period");
  set(M::kProfile, 7, K::kTraceId, "profile_id");  // 16 bytes or empty, as pdata's ProfileID
  set(M::kProfile, 8, K::kVarint, "dropped_attributes_count");
  set(M::kProfile, 9, K::kString, "original_payload_format");
  set(M::kProfile, 10, K::kBytes, "original_payload");
  set(M::kProfile, 11, K::kPackedVarint, "attribute_indices");
  set(M::kProfilesDictionary, 1, K::kMessage, "mapping_table", M::kMapping, R);
  set(M::kProfilesDictionary, 2, K::kMessage, "location_table", M::kLocation, R);
  set(M::kProfilesDictionary, 3, K::kMessage, "function_table", M::kFunction, R);
  set(M::kProfilesDictionary, 4, K::kMessage, "link_table", M::kProfileLink, R);
  set(M::kProfilesDictionary, 5, K::kString, "string_table", M::kNone, R);
  set(M::kProfilesDictionary, 6, K::kMessage, "attribute_table", M::kKeyValueAndUnit, R);
  set(M::kProfilesDictionary, 7, K::kMessage, "stack_table", M::kStack, R);
  set(M::kValueType, 1, K::kVarint, "type_strindex");
  set(M::kValueType, 2, K::kVarint, "unit_strindex");
  set(M::kSample, 1, K::kVarint, "stack_index");
  set(M::kSample, 2, K::kPackedVarint, "values");
  set(M::kSample, 3, K::kVarint, "link_index");
  set(M::kSample, 4, K::kPackedVarint, "attribute_indices");
  set(M::kSample, 5, K::kPackedFixed64, "timestamps_unix_nano");
  set(M::kMapping, 1, K::kVarint, "memory_start");
  set(M::kMapping, 2, K::kVarint, "memory_limit");
  set(M::kMapping, 3, K::kVarint, "file_offset");
  set(M::kMapping, 4, K::kVarint, "filename_strindex");
  set(M::kMapping, 5, K::kPackedVarint, "attribute_indices");
  set(M::kLocation, 1, K::kVarint, "mapping_index");
  set(M::kLocation, 2, K::kVarint, "address");
  set(M::kLocation, 3, K::kMessage, "lines", M::kLine, R);
  set(M::kLocation, 4, K::kPackedVarint, "attribute_indices");
  set(M::kLine, 1, K::kVarint, "function_index");
  set(M::kLine, 2, K::kVarint, "line");
  set(M::kLine, 3, K::kVarint, "column");
  set(M::kFunction, 1, K::kVarint, "name_strindex");
  set(M::kFunction, 2, K::kVarint, "system_name_strindex");
  set(M::kFunction, 3, K::kVarint, "filename_strindex");
  set(M::kFunction, 4, K::kVarint, "start_line");
  set(M::kProfileLink, 1, K::kTraceId, "trace_id");
  set(M::kProfileLink, 2, K::kSpanId, "span_id");
  set(M::kStack, 1, K::kPackedVarint, "location_indices");
  set(M::kKeyValueAndUnit, 1, K::kVarint, "key_strindex");
  set(M::kKeyValueAndUnit, 2, K::kMessage, "value", M::kAnyValue);
  set(M::kKeyValueAndUnit, 3, K::kVarint, "unit_strindex");
  return s;
}

inline constexpr auto kSchema = BuildSchema();
inline constexpr FieldSpec kUnknownField{};

inline const FieldSpec& Lookup(Msg msg, std::uint32_t number) {
  return number <= kMaxKnownField ? kSchema[static_cast<std::size_t>(msg)][number] : kUnknownField;
}

constexpr Msg RequestMsg(Signal signal) {
  switch (signal) {
    case Signal::kTraces: return Msg::kTraceRequest;
    case Signal::kMetrics: return Msg::kMetricsRequest;
    case Signal::kLogs: return Msg::kLogsRequest;
    case Signal::kProfiles: return Msg::kProfilesRequest;
  }
  return Msg::kNone;
}

// Split and the iterators see a request as nested containers, each a message
// with one repeated child field; everything else in it is "header".
// Metrics have two extra levels: a Metric holds data points inside its
// gauge/sum/histogram/... member (the "data" level).
enum class Level : std::uint8_t { kRequest, kResource, kScope, kMetric, kData, kLeaf };

// Metric.data oneof members.
constexpr bool IsMetricDataField(std::uint32_t number) {
  return number == 5 || number == 7 || number == 9 || number == 10 || number == 11;
}

}  // namespace otlpd::wire::schema
