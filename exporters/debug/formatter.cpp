#include "exporters/debug/formatter.h"

#include <google/protobuf/arena.h>

#include <array>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "internal/base64.h"
#include "internal/go_format.h"
#include "internal/json_string.h"
#include "internal/text.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/profiles/v1development/profiles_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "otlp/value/any_value_string.h"

namespace otlpd::exporters::debug {
namespace {

namespace common = opentelemetry::proto::common::v1;
namespace resource = opentelemetry::proto::resource::v1;
namespace trace = opentelemetry::proto::trace::v1;
namespace metrics = opentelemetry::proto::metrics::v1;
namespace logs = opentelemetry::proto::logs::v1;
namespace collector_trace = opentelemetry::proto::collector::trace::v1;
namespace collector_metrics = opentelemetry::proto::collector::metrics::v1;
namespace collector_logs = opentelemetry::proto::collector::logs::v1;
namespace profiles = opentelemetry::proto::profiles::v1development;
namespace collector_profiles = opentelemetry::proto::collector::profiles::v1development;

using KeyValues = google::protobuf::RepeatedPtrField<common::KeyValue>;

// ---------------------------------------------------------------------------
// Numbers as Go prints them.

std::string NonFinite(double value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "+Inf" : "-Inf";
}

// Go's %f: six decimals, and Go's spelling of the non-finite values.
std::string GoFixed(double value) {
  if (!std::isfinite(value)) return NonFinite(value);
  std::array<char, 400> buf;
  int n = std::snprintf(buf.data(), buf.size(), "%.6f", value);
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

// ---------------------------------------------------------------------------
// Values as pdata renders them.

// pdata's AsString as the debug exporter prints it: <, > and & escaped as Go's
// json.Marshal does; json.Marshal fails on NaN/Inf and pdata then prints the
// whole map as nothing, a quoted "NaN" shows more.
constexpr otlp::AnyValueTextOptions kTextOptions{JsonHtml::kEscape,
                                                 otlp::AnyValueTextOptions::NonFinite::kQuoted};

std::string_view ValueTypeName(const common::AnyValue& value) {
  switch (value.value_case()) {
    case common::AnyValue::kStringValue: return "Str";
    case common::AnyValue::kBoolValue: return "Bool";
    case common::AnyValue::kIntValue: return "Int";
    case common::AnyValue::kDoubleValue: return "Double";
    case common::AnyValue::kArrayValue: return "Slice";
    case common::AnyValue::kKvlistValue: return "Map";
    case common::AnyValue::kBytesValue: return "Bytes";
    default: return "Empty";
  }
}

// ---------------------------------------------------------------------------
// Enum spellings of pdata's String() methods.

std::string_view SpanKindName(int kind) {
  static constexpr std::array<std::string_view, 6> kNames = {"Unspecified", "Internal", "Server",
                                                             "Client",      "Producer", "Consumer"};
  return kind >= 0 && kind < static_cast<int>(kNames.size()) ? kNames[kind] : "";
}

std::string_view StatusCodeName(int code) {
  static constexpr std::array<std::string_view, 3> kNames = {"Unset", "Ok", "Error"};
  return code >= 0 && code < static_cast<int>(kNames.size()) ? kNames[code] : "";
}

std::string_view TemporalityName(int temporality) {
  static constexpr std::array<std::string_view, 3> kNames = {"Unspecified", "Delta", "Cumulative"};
  return temporality >= 0 && temporality < static_cast<int>(kNames.size()) ? kNames[temporality] : "";
}

std::string SeverityName(int number) {
  if (number == 0) return "Unspecified";
  if (number < 1 || number > 24) return "";
  static constexpr std::array<std::string_view, 6> kBases = {"Trace", "Debug", "Info",
                                                             "Warn",  "Error", "Fatal"};
  std::string name(kBases[(number - 1) / 4]);
  if ((number - 1) % 4 != 0) name += std::to_string((number - 1) % 4 + 1);
  return name;
}

std::string_view MetricTypeName(const metrics::Metric& metric) {
  switch (metric.data_case()) {
    case metrics::Metric::kGauge: return "Gauge";
    case metrics::Metric::kSum: return "Sum";
    case metrics::Metric::kHistogram: return "Histogram";
    case metrics::Metric::kExponentialHistogram: return "ExponentialHistogram";
    case metrics::Metric::kSummary: return "Summary";
    default: return "Empty";
  }
}

std::uint64_t DataPointCount(const metrics::Metric& metric) {
  switch (metric.data_case()) {
    case metrics::Metric::kGauge: return metric.gauge().data_points_size();
    case metrics::Metric::kSum: return metric.sum().data_points_size();
    case metrics::Metric::kHistogram: return metric.histogram().data_points_size();
    case metrics::Metric::kExponentialHistogram: return metric.exponential_histogram().data_points_size();
    case metrics::Metric::kSummary: return metric.summary().data_points_size();
    default: return 0;
  }
}

// ---------------------------------------------------------------------------
// Detailed output: otelcol's otlptext layout.

class DetailedText {
 public:
  template <class... Parts>
  void Line(const Parts&... parts) {
    (out_.append(std::string_view(parts)), ...);
    out_ += '\n';
  }

  // "    Trace ID       : ..." (Go's "    %-15s: %s").
  void Field(std::string_view name, std::string_view value) {
    out_ += "    ";
    out_ += name;
    if (name.size() < 15) out_.append(15 - name.size(), ' ');
    out_ += ": ";
    out_ += value;
    out_ += '\n';
  }

  // A header line, then one "-> key: Type(value)" line per attribute. A header
  // that itself starts with an arrow indents its attributes one level deeper.
  void Attributes(std::string_view header, const KeyValues& attributes) {
    if (attributes.empty()) return;
    Line(header, ":");
    std::string prefix = "     ->";
    if (std::size_t arrow = header.find("->"); arrow != std::string_view::npos) {
      prefix = std::string(header.substr(0, arrow)) + prefix;
    }
    for (const common::KeyValue& kv : attributes) Line(prefix, " ", kv.key(), ": ", TypedValue(kv.value()));
  }

  void Resource(const resource::Resource& res, const std::string& schema_url) {
    Line("Resource SchemaURL: ", schema_url);
    Attributes("Resource attributes", res.attributes());
    if (res.entity_refs().empty()) return;
    Line("Resource entity refs:");
    for (int i = 0; i < res.entity_refs_size(); ++i) {
      const common::EntityRef& ref = res.entity_refs(i);
      Line("     -> Entity ref #", std::to_string(i), ":");
      Line("          -> Type: ", ref.type());
      if (!ref.schema_url().empty()) Line("          -> Schema URL: ", ref.schema_url());
      if (!ref.id_keys().empty()) {
        Line("          -> ID keys:");
        for (const std::string& key : ref.id_keys()) Line("               -> ", key);
      }
      if (!ref.description_keys().empty()) {
        Line("          -> Description keys:");
        for (const std::string& key : ref.description_keys()) Line("               -> ", key);
      }
    }
  }

  void Scope(const common::InstrumentationScope& scope) {
    Line("InstrumentationScope ", scope.name(), " ", scope.version());
    Attributes("InstrumentationScope attributes", scope.attributes());
  }

  template <class Exemplars>
  void ExemplarList(const Exemplars& exemplars) {
    if (exemplars.empty()) return;
    Line("Exemplars:");
    for (int i = 0; i < exemplars.size(); ++i) {
      const metrics::Exemplar& e = exemplars.Get(i);
      Line("Exemplar #", std::to_string(i));
      Line("     -> Trace ID: ", FormatId(e.trace_id()));
      Line("     -> Span ID: ", FormatId(e.span_id()));
      Line("     -> Timestamp: ", FormatTimestamp(e.time_unix_nano()));
      if (e.value_case() == metrics::Exemplar::kAsInt) {
        Line("     -> Value: ", std::to_string(e.as_int()));
      } else if (e.value_case() == metrics::Exemplar::kAsDouble) {
        Line("     -> Value: ", GoFixed(e.as_double()));
      }
      Attributes("     -> FilteredAttributes", e.filtered_attributes());
    }
  }

  template <class Point>
  void PointHeader(std::string_view kind, int index, const Point& p) {
    Line(kind, " #", std::to_string(index));
    Attributes("Data point attributes", p.attributes());
    Line("StartTimestamp: ", FormatTimestamp(p.start_time_unix_nano()));
    Line("Timestamp: ", FormatTimestamp(p.time_unix_nano()));
  }

  void NumberPoints(const google::protobuf::RepeatedPtrField<metrics::NumberDataPoint>& points) {
    for (int i = 0; i < points.size(); ++i) {
      const metrics::NumberDataPoint& p = points.Get(i);
      PointHeader("NumberDataPoints", i, p);
      if (p.value_case() == metrics::NumberDataPoint::kAsInt) {
        Line("Value: ", std::to_string(p.as_int()));
      } else if (p.value_case() == metrics::NumberDataPoint::kAsDouble) {
        Line("Value: ", GoFixed(p.as_double()));
      }
      ExemplarList(p.exemplars());
    }
  }

  void HistogramPoints(const google::protobuf::RepeatedPtrField<metrics::HistogramDataPoint>& points) {
    for (int i = 0; i < points.size(); ++i) {
      const metrics::HistogramDataPoint& p = points.Get(i);
      PointHeader("HistogramDataPoints", i, p);
      Line("Count: ", std::to_string(p.count()));
      if (p.has_sum()) Line("Sum: ", GoFixed(p.sum()));
      if (p.has_min()) Line("Min: ", GoFixed(p.min()));
      if (p.has_max()) Line("Max: ", GoFixed(p.max()));
      for (int b = 0; b < p.explicit_bounds_size(); ++b) {
        Line("ExplicitBounds #", std::to_string(b), ": ", GoFixed(p.explicit_bounds(b)));
      }
      for (int b = 0; b < p.bucket_counts_size(); ++b) {
        Line("Buckets #", std::to_string(b), ", Count: ", std::to_string(p.bucket_counts(b)));
      }
      ExemplarList(p.exemplars());
    }
  }

  void ExponentialHistogramPoints(
      const google::protobuf::RepeatedPtrField<metrics::ExponentialHistogramDataPoint>& points) {
    for (int i = 0; i < points.size(); ++i) {
      const metrics::ExponentialHistogramDataPoint& p = points.Get(i);
      PointHeader("ExponentialHistogramDataPoints", i, p);
      Line("Count: ", std::to_string(p.count()));
      if (p.has_sum()) Line("Sum: ", GoFixed(p.sum()));
      if (p.has_min()) Line("Min: ", GoFixed(p.min()));
      if (p.has_max()) Line("Max: ", GoFixed(p.max()));
      // Bucket index k covers (base^k, base^(k+1)] with base = 2^(2^-scale).
      double factor = std::ldexp(std::log(2.0), -p.scale());
      const auto& negative = p.negative().bucket_counts();
      for (int k = negative.size() - 1; k >= 0; --k) {
        double index = static_cast<double>(p.negative().offset()) + k;
        double lower = std::exp(index * factor);
        double upper = std::exp((index + 1) * factor);
        Line("Bucket [", GoFixed(-upper), ", ", GoFixed(-lower),
             "), Count: ", std::to_string(negative.Get(k)));
      }
      if (p.zero_count() != 0) Line("Bucket [0, 0], Count: ", std::to_string(p.zero_count()));
      const auto& positive = p.positive().bucket_counts();
      for (int k = 0; k < positive.size(); ++k) {
        double index = static_cast<double>(p.positive().offset()) + k;
        double lower = std::exp(index * factor);
        double upper = std::exp((index + 1) * factor);
        Line("Bucket (", GoFixed(lower), ", ", GoFixed(upper), "], Count: ", std::to_string(positive.Get(k)));
      }
      ExemplarList(p.exemplars());
    }
  }

  void SummaryPoints(const google::protobuf::RepeatedPtrField<metrics::SummaryDataPoint>& points) {
    for (int i = 0; i < points.size(); ++i) {
      const metrics::SummaryDataPoint& p = points.Get(i);
      PointHeader("SummaryDataPoints", i, p);
      Line("Count: ", std::to_string(p.count()));
      Line("Sum: ", GoFixed(p.sum()));
      for (int q = 0; q < p.quantile_values_size(); ++q) {
        const auto& qv = p.quantile_values(q);
        Line("QuantileValue #", std::to_string(q), ": Quantile ", GoFixed(qv.quantile()), ", Value ",
             GoFixed(qv.value()));
      }
    }
  }

  void Metric(const metrics::Metric& metric) {
    Line("Descriptor:");
    Line("     -> Name: ", metric.name());
    Line("     -> Description: ", metric.description());
    Line("     -> Unit: ", metric.unit());
    Line("     -> DataType: ", MetricTypeName(metric));
    Attributes("     -> Metadata", metric.metadata());
    switch (metric.data_case()) {
      case metrics::Metric::kGauge: NumberPoints(metric.gauge().data_points()); break;
      case metrics::Metric::kSum:
        Line("     -> IsMonotonic: ", metric.sum().is_monotonic() ? "true" : "false");
        Line("     -> AggregationTemporality: ", TemporalityName(metric.sum().aggregation_temporality()));
        NumberPoints(metric.sum().data_points());
        break;
      case metrics::Metric::kHistogram:
        Line("     -> AggregationTemporality: ",
             TemporalityName(metric.histogram().aggregation_temporality()));
        HistogramPoints(metric.histogram().data_points());
        break;
      case metrics::Metric::kExponentialHistogram:
        Line("     -> AggregationTemporality: ",
             TemporalityName(metric.exponential_histogram().aggregation_temporality()));
        ExponentialHistogramPoints(metric.exponential_histogram().data_points());
        break;
      case metrics::Metric::kSummary: SummaryPoints(metric.summary().data_points()); break;
      default: break;
    }
  }

  void Span(const trace::Span& span) {
    Field("Trace ID", FormatId(span.trace_id()));
    Field("Parent ID", FormatId(span.parent_span_id()));
    Field("ID", FormatId(span.span_id()));
    Field("Name", span.name());
    Field("Kind", SpanKindName(span.kind()));
    if (!span.trace_state().empty()) Field("TraceState", span.trace_state());
    Field("Start time", FormatTimestamp(span.start_time_unix_nano()));
    Field("End time", FormatTimestamp(span.end_time_unix_nano()));
    Field("Status code", StatusCodeName(span.status().code()));
    Field("Status message", span.status().message());
    Field("DroppedAttributesCount", std::to_string(span.dropped_attributes_count()));
    Field("DroppedEventsCount", std::to_string(span.dropped_events_count()));
    Field("DroppedLinksCount", std::to_string(span.dropped_links_count()));
    Attributes("Attributes", span.attributes());
    if (!span.events().empty()) {
      Line("Events:");
      for (int i = 0; i < span.events_size(); ++i) {
        const trace::Span::Event& e = span.events(i);
        Line("SpanEvent #", std::to_string(i));
        Line("     -> Name: ", e.name());
        Line("     -> Timestamp: ", FormatTimestamp(e.time_unix_nano()));
        Line("     -> DroppedAttributesCount: ", std::to_string(e.dropped_attributes_count()));
        Attributes("     -> Attributes:", e.attributes());
      }
    }
    if (!span.links().empty()) {
      Line("Links:");
      for (int i = 0; i < span.links_size(); ++i) {
        const trace::Span::Link& l = span.links(i);
        Line("SpanLink #", std::to_string(i));
        Line("     -> Trace ID: ", FormatId(l.trace_id()));
        Line("     -> ID: ", FormatId(l.span_id()));
        Line("     -> TraceState: ", l.trace_state());
        Line("     -> DroppedAttributesCount: ", std::to_string(l.dropped_attributes_count()));
        Attributes("     -> Attributes:", l.attributes());
      }
    }
  }

  void LogRecord(const logs::LogRecord& record) {
    Line("ObservedTimestamp: ", FormatTimestamp(record.observed_time_unix_nano()));
    Line("Timestamp: ", FormatTimestamp(record.time_unix_nano()));
    Line("SeverityText: ", record.severity_text());
    Line("SeverityNumber: ", SeverityName(record.severity_number()), "(",
         std::to_string(static_cast<int>(record.severity_number())), ")");
    if (!record.event_name().empty()) Line("EventName: ", record.event_name());
    Line("Body: ", TypedValue(record.body()));
    Attributes("Attributes", record.attributes());
    Line("Trace ID: ", FormatId(record.trace_id()));
    Line("Span ID: ", FormatId(record.span_id()));
    Line("Flags: ", std::to_string(record.flags()));
  }

  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// ---------------------------------------------------------------------------
// Normal output: otelcol's "about one line per item" layout.

std::vector<std::string> AttributePairs(const KeyValues& attributes) {
  std::vector<std::string> pairs;
  pairs.reserve(attributes.size());
  for (const common::KeyValue& kv : attributes) pairs.push_back(kv.key() + "=" + ValueAsString(kv.value()));
  return pairs;
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

// " k=v k2=v2", or nothing.
std::string AttributesSuffix(const KeyValues& attributes) {
  return attributes.empty() ? std::string() : " " + Join(AttributePairs(attributes), " ");
}

std::string ResourceLine(std::string_view kind, int index, const resource::Resource& res,
                         const std::string& schema_url) {
  std::string line(kind);
  line += " #" + std::to_string(index);
  if (!schema_url.empty()) line += " [" + schema_url + "]";
  line += AttributesSuffix(res.attributes());
  line += '\n';
  return line;
}

// otelcol numbers scope lines with the resource's index (a slip); the scope's
// own index is what a reader can use.
std::string ScopeLine(std::string_view kind, int index, const common::InstrumentationScope& scope,
                      const std::string& schema_url) {
  std::string details = scope.name();
  if (!scope.version().empty()) details += "@" + scope.version();
  if (!schema_url.empty()) {
    if (!details.empty()) details += " ";
    details += "[" + schema_url + "]";
  }
  std::string line(kind);
  line += " #" + std::to_string(index);
  if (!details.empty()) line += " " + details;
  line += AttributesSuffix(scope.attributes());
  line += '\n';
  return line;
}

std::string MetricPointLine(const metrics::Metric& metric, const KeyValues& attributes,
                            std::string_view value) {
  std::string line = metric.name();
  line += "{" + Join(AttributePairs(attributes), ",") + "} ";
  line += value;
  line += '\n';
  return line;
}

template <class Point>
std::string CountSumMinMax(const Point& p) {
  std::string value = "count=" + std::to_string(p.count());
  if (p.has_sum()) value += " sum=" + GoFloat(p.sum());
  if (p.has_min()) value += " min=" + GoFloat(p.min());
  if (p.has_max()) value += " max=" + GoFloat(p.max());
  return value;
}

void NormalMetricPoints(std::string& out, const metrics::Metric& metric) {
  switch (metric.data_case()) {
    case metrics::Metric::kGauge:
    case metrics::Metric::kSum: {
      const auto& points = metric.data_case() == metrics::Metric::kGauge ? metric.gauge().data_points()
                                                                         : metric.sum().data_points();
      for (const metrics::NumberDataPoint& p : points) {
        std::string value;
        if (p.value_case() == metrics::NumberDataPoint::kAsInt) value = std::to_string(p.as_int());
        if (p.value_case() == metrics::NumberDataPoint::kAsDouble) value = GoFloat(p.as_double());
        out += MetricPointLine(metric, p.attributes(), value);
      }
      break;
    }
    case metrics::Metric::kHistogram:
      for (const metrics::HistogramDataPoint& p : metric.histogram().data_points()) {
        std::string value = CountSumMinMax(p);
        for (int b = 0; b < p.bucket_counts_size(); ++b) {
          value += " ";
          if (b < p.explicit_bounds_size()) value += "le" + GoFloat(p.explicit_bounds(b)) + "=";
          value += std::to_string(p.bucket_counts(b));
        }
        out += MetricPointLine(metric, p.attributes(), value);
      }
      break;
    case metrics::Metric::kExponentialHistogram:
      for (const metrics::ExponentialHistogramDataPoint& p : metric.exponential_histogram().data_points()) {
        out += MetricPointLine(metric, p.attributes(), CountSumMinMax(p));
      }
      break;
    case metrics::Metric::kSummary:
      for (const metrics::SummaryDataPoint& p : metric.summary().data_points()) {
        std::string value = "count=" + std::to_string(p.count()) + " sum=" + GoFixed(p.sum());
        for (const auto& q : p.quantile_values())
          value += " q" + GoFloat(q.quantile()) + "=" + GoFloat(q.value());
        out += MetricPointLine(metric, p.attributes(), value);
      }
      break;
    default: break;
  }
}

std::string Count(std::string_view name, std::uint64_t n) {
  return "\"" + std::string(name) + "\": " + std::to_string(n);
}

}  // namespace

// ---------------------------------------------------------------------------

std::string FormattedPayload::Summary() const { return message + "\t{" + fields + "}"; }

std::string FormattedPayload::Text() const {
  std::string text = Summary();
  text += '\n';
  text += body;
  return text;
}

std::string FormatTimestamp(std::uint64_t unix_nanos) {
  using namespace std::chrono;
  // As pdata does: time.Unix(0, int64(ts)), so values past 2262 wrap to before 1970.
  sys_time<nanoseconds> tp{nanoseconds{static_cast<std::int64_t>(unix_nanos)}};
  sys_days day = floor<days>(tp);
  year_month_day ymd{day};
  hh_mm_ss<nanoseconds> hms{tp - day};
  std::array<char, 64> buf;
  int n = std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02u %02lld:%02lld:%02lld",
                        static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                        static_cast<unsigned>(ymd.day()), static_cast<long long>(hms.hours().count()),
                        static_cast<long long>(hms.minutes().count()),
                        static_cast<long long>(hms.seconds().count()));
  std::string out(buf.data(), static_cast<std::size_t>(n));
  if (long long frac = hms.subseconds().count(); frac != 0) {
    n = std::snprintf(buf.data(), buf.size(), ".%09lld", frac);
    std::string fraction(buf.data(), static_cast<std::size_t>(n));
    while (fraction.back() == '0') fraction.pop_back();
    out += fraction;
  }
  out += " +0000 UTC";
  return out;
}

std::string FormatId(std::string_view id_bytes) {
  bool all_zero = true;
  for (char c : id_bytes) all_zero = all_zero && c == 0;
  if (all_zero) return {};
  return HexLower(id_bytes);
}

std::string ValueAsString(const common::AnyValue& value) {
  return otlp::AnyValueAsString(value, kTextOptions);
}

std::string TypedValue(const common::AnyValue& value) {
  std::string out(ValueTypeName(value));
  out += '(';
  out += ValueAsString(value);
  out += ')';
  return out;
}

namespace {

// A signal's words in its text: normal's resource and scope lines, detailed's
// resource, scope and item headers.
struct TextNames {
  std::string_view normal_resource, normal_scope, resource, scope, item;
  bool scope_line_has_resource_index = false;  // otelcol's numbering of profiles' normal scope lines
};

// What the text of one signal needs: its names, the request -> resource ->
// scope -> item nesting, and how an item reads. FormatBody lays out any of
// them the same way.
struct TraceText {
  static constexpr TextNames kNames{"ResourceTraces", "ScopeTraces", "ResourceSpans", "ScopeSpans", "Span"};
  static const auto& Resources(const collector_trace::ExportTraceServiceRequest& r) {
    return r.resource_spans();
  }
  static const auto& Scopes(const trace::ResourceSpans& rs) { return rs.scope_spans(); }
  static const auto& Items(const trace::ScopeSpans& ss) { return ss.spans(); }
  static void Normal(std::string& body, const trace::Span& span) {
    body += span.name() + " " + FormatId(span.trace_id()) + " " + FormatId(span.span_id()) +
            AttributesSuffix(span.attributes()) + "\n";
  }
  static void Detailed(DetailedText& text, const trace::Span& span) { text.Span(span); }
};

struct MetricText {
  static constexpr TextNames kNames{"ResourceMetrics", "ScopeMetrics", "ResourceMetrics", "ScopeMetrics",
                                    "Metric"};
  static const auto& Resources(const collector_metrics::ExportMetricsServiceRequest& r) {
    return r.resource_metrics();
  }
  static const auto& Scopes(const metrics::ResourceMetrics& rm) { return rm.scope_metrics(); }
  static const auto& Items(const metrics::ScopeMetrics& sm) { return sm.metrics(); }
  static void Normal(std::string& body, const metrics::Metric& m) { NormalMetricPoints(body, m); }
  static void Detailed(DetailedText& text, const metrics::Metric& m) { text.Metric(m); }
};

struct LogText {
  static constexpr TextNames kNames{"ResourceLog", "ScopeLog", "ResourceLog", "ScopeLogs", "LogRecord"};
  static const auto& Resources(const collector_logs::ExportLogsServiceRequest& r) {
    return r.resource_logs();
  }
  static const auto& Scopes(const logs::ResourceLogs& rl) { return rl.scope_logs(); }
  static const auto& Items(const logs::ScopeLogs& sl) { return sl.log_records(); }
  static void Normal(std::string& body, const logs::LogRecord& record) {
    body += ValueAsString(record.body()) + AttributesSuffix(record.attributes()) + "\n";
  }
  static void Detailed(DetailedText& text, const logs::LogRecord& record) { text.LogRecord(record); }
};

// The body of a request's text: a line per resource, scope and item
// (normal), or otlptext's blocks (detailed); nothing at basic.
template <class Text, class Request>
std::string FormatBody(const Text& t, const Request& request, Verbosity verbosity) {
  if (verbosity == Verbosity::kNormal) {
    std::string body;
    int i = 0;
    for (const auto& r : t.Resources(request)) {
      body += ResourceLine(Text::kNames.normal_resource, i, r.resource(), r.schema_url());
      int j = 0;
      for (const auto& s : t.Scopes(r)) {
        body += ScopeLine(Text::kNames.normal_scope, Text::kNames.scope_line_has_resource_index ? i : j,
                          s.scope(), s.schema_url());
        ++j;
        for (const auto& item : t.Items(s)) t.Normal(body, item);
      }
      ++i;
    }
    return body;
  }
  if (verbosity != Verbosity::kDetailed) return {};
  DetailedText text;
  int i = 0;
  for (const auto& r : t.Resources(request)) {
    text.Line(Text::kNames.resource, " #", std::to_string(i++));
    text.Resource(r.resource(), r.schema_url());
    int j = 0;
    for (const auto& s : t.Scopes(r)) {
      text.Line(Text::kNames.scope, " #", std::to_string(j++));
      text.Line(Text::kNames.scope, " SchemaURL: ", s.schema_url());
      text.Scope(s.scope());
      int k = 0;
      for (const auto& item : t.Items(s)) {
        text.Line(Text::kNames.item, " #", std::to_string(k++));
        t.Detailed(text, item);
      }
    }
  }
  return text.Take();
}

}  // namespace

FormattedPayload FormatTraces(const collector_trace::ExportTraceServiceRequest& request,
                              Verbosity verbosity) {
  FormattedPayload out;
  out.message = "Traces";
  std::uint64_t spans = 0;
  for (const trace::ResourceSpans& rs : request.resource_spans()) {
    for (const trace::ScopeSpans& ss : rs.scope_spans()) spans += ss.spans_size();
  }
  out.fields = Count("resource spans", request.resource_spans_size()) + ", " + Count("spans", spans);
  out.body = FormatBody(TraceText{}, request, verbosity);
  return out;
}

FormattedPayload FormatMetrics(const collector_metrics::ExportMetricsServiceRequest& request,
                               Verbosity verbosity) {
  FormattedPayload out;
  out.message = "Metrics";
  std::uint64_t metric_count = 0;
  std::uint64_t points = 0;
  for (const metrics::ResourceMetrics& rm : request.resource_metrics()) {
    for (const metrics::ScopeMetrics& sm : rm.scope_metrics()) {
      metric_count += sm.metrics_size();
      for (const metrics::Metric& m : sm.metrics()) points += DataPointCount(m);
    }
  }
  out.fields = Count("resource metrics", request.resource_metrics_size()) + ", " +
               Count("metrics", metric_count) + ", " + Count("data points", points);
  out.body = FormatBody(MetricText{}, request, verbosity);
  return out;
}

FormattedPayload FormatLogs(const collector_logs::ExportLogsServiceRequest& request, Verbosity verbosity) {
  FormattedPayload out;
  out.message = "Logs";
  std::uint64_t records = 0;
  for (const logs::ResourceLogs& rl : request.resource_logs()) {
    for (const logs::ScopeLogs& sl : rl.scope_logs()) records += sl.log_records_size();
  }
  out.fields = Count("resource logs", request.resource_logs_size()) + ", " + Count("log records", records);
  out.body = FormatBody(LogText{}, request, verbosity);
  return out;
}

namespace {

// A dictionary string by index; empty when out of range (pdata would panic).
const std::string& DictString(const profiles::ProfilesDictionary& dict, std::int64_t i) {
  static const std::string kEmpty;
  return i >= 0 && i < dict.string_table_size() ? dict.string_table(static_cast<int>(i)) : kEmpty;
}

// "key=value" for each of a profile's attribute indices into the dictionary.
std::vector<std::string> ProfileAttributePairs(const profiles::ProfilesDictionary& dict,
                                               const profiles::Profile& profile) {
  std::vector<std::string> pairs;
  for (std::int32_t i : profile.attribute_indices()) {
    if (i < 0 || i >= dict.attribute_table_size()) continue;
    const profiles::KeyValueAndUnit& a = dict.attribute_table(i);
    pairs.push_back(DictString(dict, a.key_strindex()) + "=" + ValueAsString(a.value()));
  }
  return pairs;
}

std::string JoinInts(const auto& values) {
  std::string out = "[";
  for (int i = 0; i < values.size(); ++i) out += (i > 0 ? " " : "") + std::to_string(values.Get(i));
  return out + "]";
}

struct ProfileText {
  // otelcol numbers the normal scope lines with the resource's index too.
  static constexpr TextNames kNames{"ResourceProfiles", "ScopeProfiles", "ResourceProfiles",
                                    "ScopeProfiles",    "Profile",       true};
  static const auto& Resources(const collector_profiles::ExportProfilesServiceRequest& r) {
    return r.resource_profiles();
  }
  static const auto& Scopes(const profiles::ResourceProfiles& rp) { return rp.scope_profiles(); }
  static const auto& Items(const profiles::ScopeProfiles& sp) { return sp.profiles(); }

  void Normal(std::string& body, const profiles::Profile& p) const {
    body += FormatId(p.profile_id()) + " samples=" + std::to_string(p.samples_size());
    std::vector<std::string> pairs = ProfileAttributePairs(dict, p);
    if (!pairs.empty()) body += " " + Join(pairs, " ");
    body += "\n";
  }
  void Detailed(DetailedText& text, const profiles::Profile& p) const {
    text.Field("Profile ID", FormatId(p.profile_id()));
    text.Field("Start time", FormatTimestamp(p.time_unix_nano()));
    text.Field("Duration", std::to_string(p.duration_nano()));
    text.Field("Dropped attributes count", std::to_string(p.dropped_attributes_count()));
    std::vector<std::string> pairs = ProfileAttributePairs(dict, p);
    if (!pairs.empty()) text.Field("Attributes", Join(pairs, " "));
    for (int l = 0; l < p.samples_size(); ++l) {
      const profiles::Sample& sample = p.samples(l);
      text.Line("    Sample #", std::to_string(l));
      text.Line("        Stack index: ", std::to_string(sample.stack_index()));
      text.Line("        Values: ", JoinInts(sample.values()));
      if (sample.timestamps_unix_nano_size() > 0) {
        text.Line("        Timestamps: ", JoinInts(sample.timestamps_unix_nano()));
      }
    }
  }

  const profiles::ProfilesDictionary& dict;
};

}  // namespace

// Basic and normal follow otelcol's debug exporter (pushProfiles and the
// normal marshaler); detailed is otlpd's own listing of the same fields, not
// otelcol's otlptext layout byte for byte.
FormattedPayload FormatProfiles(const collector_profiles::ExportProfilesServiceRequest& request,
                                Verbosity verbosity) {
  FormattedPayload out;
  out.message = "Profiles";
  std::uint64_t samples = 0;
  for (const profiles::ResourceProfiles& rp : request.resource_profiles()) {
    for (const profiles::ScopeProfiles& sp : rp.scope_profiles()) {
      for (const profiles::Profile& p : sp.profiles()) samples += p.samples_size();
    }
  }
  out.fields =
      Count("resource profiles", request.resource_profiles_size()) + ", " + Count("sample records", samples);
  out.body = FormatBody(ProfileText{request.dictionary()}, request, verbosity);
  return out;
}

namespace {

template <class Request, class Render>
Result<FormattedPayload> ParseAndFormat(std::string_view bytes, Verbosity verbosity, Render render) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return Status::InvalidArgument("debug exporter: payload too large to decode");
  }
  // One arena per payload: the decoded tree is freed in one step.
  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<Request>(&arena);
  if (!request->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::InvalidArgument("debug exporter: payload is not a valid " + request->GetTypeName());
  }
  return render(*request, verbosity);
}

}  // namespace

Result<FormattedPayload> FormatPayload(Signal signal, std::string_view bytes, Verbosity verbosity) {
  switch (signal) {
    case Signal::kTraces:
      return ParseAndFormat<collector_trace::ExportTraceServiceRequest>(
          bytes, verbosity, [](const auto& r, Verbosity v) { return FormatTraces(r, v); });
    case Signal::kMetrics:
      return ParseAndFormat<collector_metrics::ExportMetricsServiceRequest>(
          bytes, verbosity, [](const auto& r, Verbosity v) { return FormatMetrics(r, v); });
    case Signal::kLogs:
      return ParseAndFormat<collector_logs::ExportLogsServiceRequest>(
          bytes, verbosity, [](const auto& r, Verbosity v) { return FormatLogs(r, v); });
    case Signal::kProfiles:
      return ParseAndFormat<collector_profiles::ExportProfilesServiceRequest>(
          bytes, verbosity, [](const auto& r, Verbosity v) { return FormatProfiles(r, v); });
  }
  return Status::InvalidArgument("debug exporter: unknown signal");
}

}  // namespace otlpd::exporters::debug
