// OTLP requests built with the generated protobuf classes, and protobuf-side
// oracles (parse, count, list items) for the wire walker tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "internal/signal.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace otlpd::wire::testing {

namespace common = opentelemetry::proto::common::v1;
namespace trace = opentelemetry::proto::trace::v1;
namespace metrics = opentelemetry::proto::metrics::v1;
namespace logs = opentelemetry::proto::logs::v1;
using TraceRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using MetricsRequest = opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using LogsRequest = opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;

inline std::string Id(std::size_t size, std::uint64_t seed) {
  std::string id(size, '\0');
  for (std::size_t i = 0; i < size; ++i) id[i] = static_cast<char>((seed * 131 + i * 17 + 1) & 0xFF);
  return id;
}

inline void AddAttribute(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs, const std::string& key,
                         const std::string& value) {
  auto* kv = attrs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}

// A kvlist { "k": [1, "two", {"deep": true}] } style value, `depth` levels of arrays/kvlists.
inline void FillNested(common::AnyValue* value, int depth) {
  if (depth == 0) {
    value->set_string_value("leaf \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");  // é € 😀
    return;
  }
  if (depth % 2 == 0) {
    auto* list = value->mutable_array_value();
    list->add_values()->set_int_value(depth);
    list->add_values()->set_double_value(0.5);
    list->add_values()->set_bytes_value(std::string("\x00\xFF", 2));
    FillNested(list->add_values(), depth - 1);
  } else {
    auto* kvs = value->mutable_kvlist_value();
    auto* a = kvs->add_values();
    a->set_key("flag");
    a->mutable_value()->set_bool_value(true);
    auto* b = kvs->add_values();
    b->set_key("nested");
    FillNested(b->mutable_value(), depth - 1);
  }
}

inline void FillResource(opentelemetry::proto::resource::v1::Resource* resource, int r) {
  AddAttribute(resource->mutable_attributes(), "service.name", "svc-" + std::to_string(r));
  AddAttribute(resource->mutable_attributes(), "host.name", "host-" + std::to_string(r));
  resource->set_dropped_attributes_count(r);
  auto* ref = resource->add_entity_refs();
  ref->set_type("service");
  ref->add_id_keys("service.name");
}

inline void FillScope(common::InstrumentationScope* scope, int r, int s) {
  scope->set_name("scope-" + std::to_string(r) + "-" + std::to_string(s));
  scope->set_version("1.2." + std::to_string(s));
  AddAttribute(scope->mutable_attributes(), "scope.attr", std::to_string(r * 100 + s));
}

// Span names are "span-r-s-i" so tests can check order and ancestry.
inline TraceRequest MakeTraces(int resources, int scopes, int spans, int attributes = 3) {
  TraceRequest req;
  for (int r = 0; r < resources; ++r) {
    auto* rs = req.add_resource_spans();
    FillResource(rs->mutable_resource(), r);
    rs->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
    for (int s = 0; s < scopes; ++s) {
      auto* ss = rs->add_scope_spans();
      FillScope(ss->mutable_scope(), r, s);
      ss->set_schema_url("scope-schema-" + std::to_string(s));
      for (int i = 0; i < spans; ++i) {
        auto* span = ss->add_spans();
        std::uint64_t seed = static_cast<std::uint64_t>(r * 10000 + s * 100 + i);
        span->set_trace_id(Id(16, seed));
        span->set_span_id(Id(8, seed));
        span->set_parent_span_id(Id(8, seed + 1));
        span->set_trace_state("vendor=abc");
        span->set_name("span-" + std::to_string(r) + "-" + std::to_string(s) + "-" + std::to_string(i));
        span->set_kind(trace::Span::SPAN_KIND_SERVER);
        span->set_start_time_unix_nano(1700000000000000000ull + seed);
        span->set_end_time_unix_nano(1700000000000100000ull + seed);
        span->set_flags(0x301);
        for (int a = 0; a < attributes; ++a) {
          AddAttribute(span->mutable_attributes(), "attr." + std::to_string(a), "value-" + std::to_string(a));
        }
        auto* num = span->add_attributes();
        num->set_key("http.status_code");
        num->mutable_value()->set_int_value(200);
        FillNested(span->add_attributes()->mutable_value(), 3);
        span->set_dropped_attributes_count(1);
        auto* event = span->add_events();
        event->set_time_unix_nano(1700000000000050000ull);
        event->set_name("exception");
        AddAttribute(event->mutable_attributes(), "exception.message", "boom");
        auto* event2 = span->add_events();
        event2->set_name("retry");
        auto* link = span->add_links();
        link->set_trace_id(Id(16, seed + 7));
        link->set_span_id(Id(8, seed + 7));
        link->set_trace_state("k=v");
        link->set_flags(1);
        AddAttribute(link->mutable_attributes(), "link.kind", "follows");
        span->set_dropped_links_count(2);
        span->mutable_status()->set_code(trace::Status::STATUS_CODE_ERROR);
        span->mutable_status()->set_message("failed");
      }
    }
  }
  return req;
}

inline void FillPointCommon(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs, int key) {
  AddAttribute(attrs, "point", std::to_string(key));
}

inline void AddExemplar(google::protobuf::RepeatedPtrField<metrics::Exemplar>* exemplars,
                        std::uint64_t seed) {
  auto* ex = exemplars->Add();
  ex->set_time_unix_nano(seed);
  ex->set_as_double(1.5);
  ex->set_span_id(Id(8, seed));
  ex->set_trace_id(Id(16, seed));
  AddAttribute(ex->mutable_filtered_attributes(), "ex", "1");
}

// Every data point's time_unix_nano is unique and increasing in wire order, so
// tests can list points. Metric i of a scope uses type i % 5 and holds
// `points` data points.
inline MetricsRequest MakeMetrics(int resources, int scopes, int metrics_per_scope, int points) {
  MetricsRequest req;
  std::uint64_t t = 1;
  for (int r = 0; r < resources; ++r) {
    auto* rm = req.add_resource_metrics();
    FillResource(rm->mutable_resource(), r);
    rm->set_schema_url("resource-schema");
    for (int s = 0; s < scopes; ++s) {
      auto* sm = rm->add_scope_metrics();
      FillScope(sm->mutable_scope(), r, s);
      for (int m = 0; m < metrics_per_scope; ++m) {
        auto* metric = sm->add_metrics();
        metric->set_name("metric-" + std::to_string(r) + "-" + std::to_string(s) + "-" + std::to_string(m));
        metric->set_description("a metric of type " + std::to_string(m % 5));
        metric->set_unit("ms");
        AddAttribute(metric->mutable_metadata(), "meta", "data");
        for (int p = 0; p < points; ++p, ++t) {
          switch (m % 5) {
            case 0: {
              auto* dp = metric->mutable_gauge()->add_data_points();
              FillPointCommon(dp->mutable_attributes(), p);
              dp->set_time_unix_nano(t);
              dp->set_as_double(p * 0.5);
              AddExemplar(dp->mutable_exemplars(), t);
              break;
            }
            case 1: {
              auto* sum = metric->mutable_sum();
              sum->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
              sum->set_is_monotonic(true);
              auto* dp = sum->add_data_points();
              FillPointCommon(dp->mutable_attributes(), p);
              dp->set_start_time_unix_nano(1);
              dp->set_time_unix_nano(t);
              dp->set_as_int(-p);
              dp->set_flags(1);
              break;
            }
            case 2: {
              auto* hist = metric->mutable_histogram();
              hist->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_DELTA);
              auto* dp = hist->add_data_points();
              FillPointCommon(dp->mutable_attributes(), p);
              dp->set_time_unix_nano(t);
              dp->set_count(6);
              dp->set_sum(12.5);
              dp->set_min(0.1);
              dp->set_max(9);
              for (double b : {1.0, 5.0}) dp->add_explicit_bounds(b);
              for (std::uint64_t c : {1, 2, 3}) dp->add_bucket_counts(c);
              AddExemplar(dp->mutable_exemplars(), t);
              break;
            }
            case 3: {
              auto* eh = metric->mutable_exponential_histogram();
              eh->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_DELTA);
              auto* dp = eh->add_data_points();
              FillPointCommon(dp->mutable_attributes(), p);
              dp->set_time_unix_nano(t);
              dp->set_count(10);
              dp->set_sum(3.5);
              dp->set_scale(-3);
              dp->set_zero_count(1);
              dp->set_zero_threshold(1e-9);
              dp->mutable_positive()->set_offset(-2);
              for (std::uint64_t c : {1, 300, 70000}) dp->mutable_positive()->add_bucket_counts(c);
              dp->mutable_negative()->set_offset(4);
              dp->mutable_negative()->add_bucket_counts(5);
              dp->set_min(-1);
              dp->set_max(1);
              AddExemplar(dp->mutable_exemplars(), t);
              break;
            }
            case 4: {
              auto* dp = metric->mutable_summary()->add_data_points();
              FillPointCommon(dp->mutable_attributes(), p);
              dp->set_time_unix_nano(t);
              dp->set_count(4);
              dp->set_sum(10);
              for (double q : {0.5, 0.99}) {
                auto* qv = dp->add_quantile_values();
                qv->set_quantile(q);
                qv->set_value(q * 10);
              }
              break;
            }
          }
        }
      }
    }
  }
  return req;
}

// Log bodies are "log-r-s-i" strings, or nested AnyValues for every third record.
inline LogsRequest MakeLogs(int resources, int scopes, int records) {
  LogsRequest req;
  for (int r = 0; r < resources; ++r) {
    auto* rl = req.add_resource_logs();
    FillResource(rl->mutable_resource(), r);
    for (int s = 0; s < scopes; ++s) {
      auto* sl = rl->add_scope_logs();
      FillScope(sl->mutable_scope(), r, s);
      sl->set_schema_url("logs-schema");
      for (int i = 0; i < records; ++i) {
        auto* rec = sl->add_log_records();
        std::uint64_t seed = static_cast<std::uint64_t>(r * 10000 + s * 100 + i);
        rec->set_time_unix_nano(seed);
        rec->set_observed_time_unix_nano(seed + 1);
        rec->set_severity_number(logs::SEVERITY_NUMBER_WARN);
        rec->set_severity_text("log-" + std::to_string(r) + "-" + std::to_string(s) + "-" +
                               std::to_string(i));
        if (i % 3 == 2) {
          FillNested(rec->mutable_body(), 6);
        } else {
          rec->mutable_body()->set_string_value("body " + std::to_string(i));
        }
        AddAttribute(rec->mutable_attributes(), "log.attr", "x");
        rec->set_flags(1);
        rec->set_trace_id(Id(16, seed));
        rec->set_span_id(Id(8, seed));
        rec->set_event_name("event");
      }
    }
  }
  return req;
}

// ---- protobuf-side oracles ----

// The item identities of a request in wire order: span names, "metric name/point time", log severity texts.
// ok = false when protobuf refuses to parse the bytes.
struct Parsed {
  bool ok = false;
  std::uint64_t items = 0;
  std::vector<std::string> ids;
};

inline std::uint64_t PointCount(const metrics::Metric& m) {
  switch (m.data_case()) {
    case metrics::Metric::kGauge: return static_cast<std::uint64_t>(m.gauge().data_points_size());
    case metrics::Metric::kSum: return static_cast<std::uint64_t>(m.sum().data_points_size());
    case metrics::Metric::kHistogram: return static_cast<std::uint64_t>(m.histogram().data_points_size());
    case metrics::Metric::kExponentialHistogram:
      return static_cast<std::uint64_t>(m.exponential_histogram().data_points_size());
    case metrics::Metric::kSummary: return static_cast<std::uint64_t>(m.summary().data_points_size());
    case metrics::Metric::DATA_NOT_SET: return 0;
  }
  return 0;
}

template <class Points>
void ListPoints(const std::string& name, const Points& points, std::vector<std::string>& ids) {
  for (const auto& p : points) ids.push_back(name + "/" + std::to_string(p.time_unix_nano()));
}

inline Parsed ParseWithProtobuf(Signal signal, std::string_view bytes) {
  Parsed out;
  switch (signal) {
    case Signal::kTraces: {
      TraceRequest req;
      out.ok = req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
      if (!out.ok) return out;
      for (const auto& rs : req.resource_spans())
        for (const auto& ss : rs.scope_spans())
          for (const auto& span : ss.spans()) out.ids.push_back(span.name());
      break;
    }
    case Signal::kMetrics: {
      MetricsRequest req;
      out.ok = req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
      if (!out.ok) return out;
      for (const auto& rm : req.resource_metrics())
        for (const auto& sm : rm.scope_metrics())
          for (const auto& m : sm.metrics()) {
            switch (m.data_case()) {
              case metrics::Metric::kGauge: ListPoints(m.name(), m.gauge().data_points(), out.ids); break;
              case metrics::Metric::kSum: ListPoints(m.name(), m.sum().data_points(), out.ids); break;
              case metrics::Metric::kHistogram:
                ListPoints(m.name(), m.histogram().data_points(), out.ids);
                break;
              case metrics::Metric::kExponentialHistogram:
                ListPoints(m.name(), m.exponential_histogram().data_points(), out.ids);
                break;
              case metrics::Metric::kSummary: ListPoints(m.name(), m.summary().data_points(), out.ids); break;
              case metrics::Metric::DATA_NOT_SET: break;
            }
          }
      break;
    }
    case Signal::kLogs: {
      LogsRequest req;
      out.ok = req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
      if (!out.ok) return out;
      for (const auto& rl : req.resource_logs())
        for (const auto& sl : rl.scope_logs())
          for (const auto& rec : sl.log_records()) out.ids.push_back(rec.severity_text());
      break;
    }
    case Signal::kProfiles: break;  // covered by test_profiles
  }
  out.items = out.ids.size();
  return out;
}

}  // namespace otlpd::wire::testing
