#include "processors/attributes/attributes_processor.h"

#include <google/protobuf/arena.h>
#include <re2/re2.h>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "processors/internal/attraction/attraction.h"

namespace otlpd::processors::attributes {
namespace {

namespace commonpb = opentelemetry::proto::common::v1;
namespace tracepb = opentelemetry::proto::trace::v1;
namespace metricspb = opentelemetry::proto::metrics::v1;
namespace logspb = opentelemetry::proto::logs::v1;
using KeyValues = attraction::KeyValues;

bool MatchString(const MatchProperties& mp, const StringMatcher& m, const std::string& s) {
  if (mp.match_type == MatchType::kRegexp) return re2::RE2::PartialMatch(s, *m.re);
  return s == m.text;
}

// OR over one property list; an empty list does not constrain.
bool AnyString(const MatchProperties& mp, const std::vector<StringMatcher>& list, const std::string& s) {
  if (list.empty()) return true;
  for (const StringMatcher& m : list) {
    if (MatchString(mp, m, s)) return true;
  }
  return false;
}

const commonpb::AnyValue* Find(const KeyValues& attrs, const std::string& key) {
  for (const commonpb::KeyValue& kv : attrs) {
    if (kv.key() == key) return &kv.value();
  }
  return nullptr;
}

bool SameValue(const commonpb::AnyValue& a, const commonpb::AnyValue& b) {
  if (a.value_case() != b.value_case()) return false;
  switch (a.value_case()) {
    case commonpb::AnyValue::kStringValue: return a.string_value() == b.string_value();
    case commonpb::AnyValue::kBoolValue: return a.bool_value() == b.bool_value();
    case commonpb::AnyValue::kIntValue: return a.int_value() == b.int_value();
    case commonpb::AnyValue::kDoubleValue: return a.double_value() == b.double_value();
    default: return a.SerializeAsString() == b.SerializeAsString();
  }
}

// Every listed key must be present; a listed value must match too. Regexp
// values see bool, int and double attributes as text; other types never match.
bool AllAttributes(const std::vector<AttributeMatcher>& list, const KeyValues& attrs) {
  for (const AttributeMatcher& m : list) {
    const commonpb::AnyValue* v = Find(attrs, m.key);
    if (v == nullptr) return false;
    if (m.re) {
      switch (v->value_case()) {
        case commonpb::AnyValue::kStringValue:
        case commonpb::AnyValue::kBoolValue:
        case commonpb::AnyValue::kIntValue:
        case commonpb::AnyValue::kDoubleValue:
          if (!re2::RE2::PartialMatch(attraction::ValueAsString(*v), *m.re)) return false;
          break;
        default: return false;
      }
    } else if (m.value && !SameValue(*v, *m.value)) {
      return false;
    }
  }
  return true;
}

bool AnyLibrary(const MatchProperties& mp, const commonpb::InstrumentationScope& scope) {
  if (mp.libraries.empty()) return true;
  for (const LibraryMatcher& l : mp.libraries) {
    if (!MatchString(mp, l.name, scope.name())) continue;
    if (l.version && !MatchString(mp, *l.version, scope.version())) continue;
    return true;
  }
  return false;
}

// The properties spans and logs share: resources and libraries.
bool MatchCommon(const MatchProperties& mp, const KeyValues& resource,
                 const commonpb::InstrumentationScope& scope) {
  return AllAttributes(mp.resources, resource) && AnyLibrary(mp, scope);
}

std::string ServiceName(const KeyValues& resource) {
  const commonpb::AnyValue* v = Find(resource, "service.name");
  return v == nullptr ? "<nil-service-name>" : attraction::ValueAsString(*v);
}

bool MatchSpan(const MatchProperties& mp, const KeyValues& resource,
               const commonpb::InstrumentationScope& scope, const tracepb::Span& span) {
  if (!mp.services.empty() && !AnyString(mp, mp.services, ServiceName(resource))) return false;
  if (!AnyString(mp, mp.span_names, span.name())) return false;
  if (!mp.span_kinds.empty() && !AnyString(mp, mp.span_kinds, tracepb::Span::SpanKind_Name(span.kind()))) {
    return false;
  }
  return MatchCommon(mp, resource, scope) && AllAttributes(mp.attributes, span.attributes());
}

bool MatchLog(const MatchProperties& mp, const KeyValues& resource,
              const commonpb::InstrumentationScope& scope, const logspb::LogRecord& log) {
  if (!mp.log_bodies.empty() && !AnyString(mp, mp.log_bodies, attraction::ValueAsString(log.body())))
    return false;
  if (!AnyString(mp, mp.log_severity_texts, log.severity_text())) return false;
  if (mp.log_severity_number) {
    const int n = static_cast<int>(log.severity_number());
    if (n == 0 ? !mp.log_severity_number->match_undefined : n < mp.log_severity_number->min) return false;
  }
  return MatchCommon(mp, resource, scope) && AllAttributes(mp.attributes, log.attributes());
}

// otelcol v0.161 turns the section into a metric-name matcher only: `resources`
// pass validation but never select anything, and a section without
// metric_names matches every metric.
bool MatchMetric(const MatchProperties& mp, const metricspb::Metric& metric) {
  return AnyString(mp, mp.metric_names, metric.name());
}

// otelcol's skip rule: process iff (no include or include matches) and (no
// exclude or exclude does not match).
template <class Match>
bool Selected(const Config& c, Match match) {
  if (c.include && !match(*c.include)) return false;
  return !(c.exclude && match(*c.exclude));
}

bool Traces(tracepb::ResourceSpans& rs, const Config& c, const Metadata* md) {
  bool changed = false;
  const KeyValues& resource = rs.resource().attributes();
  for (tracepb::ScopeSpans& ss : *rs.mutable_scope_spans()) {
    for (tracepb::Span& span : *ss.mutable_spans()) {
      if (!Selected(c,
                    [&](const MatchProperties& mp) { return MatchSpan(mp, resource, ss.scope(), span); })) {
        continue;
      }
      changed = attraction::ApplyActions(c.actions, *span.mutable_attributes(), md) || changed;
    }
  }
  return changed;
}

bool Logs(logspb::ResourceLogs& rl, const Config& c, const Metadata* md) {
  bool changed = false;
  const KeyValues& resource = rl.resource().attributes();
  for (logspb::ScopeLogs& sl : *rl.mutable_scope_logs()) {
    for (logspb::LogRecord& log : *sl.mutable_log_records()) {
      if (!Selected(c, [&](const MatchProperties& mp) { return MatchLog(mp, resource, sl.scope(), log); }))
        continue;
      changed = attraction::ApplyActions(c.actions, *log.mutable_attributes(), md) || changed;
    }
  }
  return changed;
}

template <class Points>
bool ApplyToPoints(Points& points, const Config& c, const Metadata* md) {
  bool changed = false;
  for (auto& p : points)
    changed = attraction::ApplyActions(c.actions, *p.mutable_attributes(), md) || changed;
  return changed;
}

bool Metrics(metricspb::ResourceMetrics& rm, const Config& c, const Metadata* md) {
  bool changed = false;
  for (metricspb::ScopeMetrics& sm : *rm.mutable_scope_metrics()) {
    for (metricspb::Metric& m : *sm.mutable_metrics()) {
      if (!Selected(c, [&](const MatchProperties& mp) { return MatchMetric(mp, m); })) continue;
      switch (m.data_case()) {
        case metricspb::Metric::kGauge:
          changed = ApplyToPoints(*m.mutable_gauge()->mutable_data_points(), c, md) || changed;
          break;
        case metricspb::Metric::kSum:
          changed = ApplyToPoints(*m.mutable_sum()->mutable_data_points(), c, md) || changed;
          break;
        case metricspb::Metric::kHistogram:
          changed = ApplyToPoints(*m.mutable_histogram()->mutable_data_points(), c, md) || changed;
          break;
        case metricspb::Metric::kExponentialHistogram:
          changed =
              ApplyToPoints(*m.mutable_exponential_histogram()->mutable_data_points(), c, md) || changed;
          break;
        case metricspb::Metric::kSummary:
          changed = ApplyToPoints(*m.mutable_summary()->mutable_data_points(), c, md) || changed;
          break;
        case metricspb::Metric::DATA_NOT_SET: break;
      }
    }
  }
  return changed;
}

template <class Request, class Fn>
Result<std::optional<std::string>> Run(std::string_view bytes, Fn fn) {
  google::protobuf::Arena arena;
  Request* req = google::protobuf::Arena::CreateMessage<Request>(&arena);
  if (!req->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::InvalidArgument("malformed request");
  }
  if (!fn(*req)) return std::optional<std::string>();
  return std::optional<std::string>(req->SerializeAsString());
}

}  // namespace

Result<std::optional<std::string>> ProcessRequest(Signal signal, std::string_view request,
                                                  const Config& config, const Metadata* metadata) {
  using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
  using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
  using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
  switch (signal) {
    case Signal::kTraces:
      return Run<ExportTraceServiceRequest>(request, [&](auto& req) {
        bool changed = false;
        for (auto& e : *req.mutable_resource_spans()) changed = Traces(e, config, metadata) || changed;
        return changed;
      });
    case Signal::kMetrics:
      return Run<ExportMetricsServiceRequest>(request, [&](auto& req) {
        bool changed = false;
        for (auto& e : *req.mutable_resource_metrics()) changed = Metrics(e, config, metadata) || changed;
        return changed;
      });
    case Signal::kLogs:
      return Run<ExportLogsServiceRequest>(request, [&](auto& req) {
        bool changed = false;
        for (auto& e : *req.mutable_resource_logs()) changed = Logs(e, config, metadata) || changed;
        return changed;
      });
    case Signal::kProfiles: break;  // not a signal of this processor
  }
  return Status::Internal("unknown signal");
}

Status AttributesProcessor::Consume(const PayloadPtr& payload) {
  Result<std::optional<std::string>> out =
      ProcessRequest(signal_, payload->bytes, *config_, payload->metadata.get());
  if (!out.ok()) return out.status();
  if (!out->has_value()) return next_->Consume(payload);
  return next_->Consume(DerivePayload(*payload, std::move(**out), payload->items));
}

}  // namespace otlpd::processors::attributes
