#pragma once

// Small OTLP requests with known content, shared by the debug exporter tests.

#include <cstdint>
#include <string>
#include <string_view>

#include "component/payload.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace otlpd::exporters::debug::testing {

namespace common = opentelemetry::proto::common::v1;
namespace trace = opentelemetry::proto::trace::v1;
namespace metrics = opentelemetry::proto::metrics::v1;
namespace logs = opentelemetry::proto::logs::v1;
using TraceRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using MetricsRequest = opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using LogsRequest = opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;

// 2018-12-13 14:51:00 UTC, the OTLP spec's example time.
inline constexpr std::uint64_t kStart = 1544712660000000000ull;
inline constexpr std::uint64_t kEnd = 1544712661000000123ull;

inline const std::string kTraceId("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);
inline const std::string kSpanId("\x11\x12\x13\x14\x15\x16\x17\x18", 8);
inline const std::string kParentId("\x21\x22\x23\x24\x25\x26\x27\x28", 8);

inline common::KeyValue* AddStr(google::protobuf::RepeatedPtrField<common::KeyValue>* kvs, std::string key,
                                std::string value) {
  common::KeyValue* kv = kvs->Add();
  kv->set_key(std::move(key));
  kv->mutable_value()->set_string_value(std::move(value));
  return kv;
}

inline void FillResource(opentelemetry::proto::resource::v1::Resource* resource) {
  AddStr(resource->mutable_attributes(), "service.name", "svc");
}

inline void FillScope(common::InstrumentationScope* scope) {
  scope->set_name("my.lib");
  scope->set_version("1.2.3");
}

// One resource, one scope, two spans; the first has every kind of attribute
// value, an event and a link.
inline TraceRequest MakeTraces() {
  TraceRequest request;
  trace::ResourceSpans* rs = request.add_resource_spans();
  rs->set_schema_url("https://opentelemetry.io/schemas/1.4.0");
  FillResource(rs->mutable_resource());
  trace::ScopeSpans* ss = rs->add_scope_spans();
  FillScope(ss->mutable_scope());

  trace::Span* span = ss->add_spans();
  span->set_trace_id(kTraceId);
  span->set_span_id(kSpanId);
  span->set_parent_span_id(kParentId);
  span->set_name("GET /");
  span->set_kind(trace::Span::SPAN_KIND_SERVER);
  span->set_start_time_unix_nano(kStart);
  span->set_end_time_unix_nano(kEnd);
  auto* attrs = span->mutable_attributes();
  AddStr(attrs, "http.method", "GET");
  {
    common::KeyValue* kv = attrs->Add();
    kv->set_key("count");
    kv->mutable_value()->set_int_value(5);
  }
  {
    common::KeyValue* kv = attrs->Add();
    kv->set_key("ratio");
    kv->mutable_value()->set_double_value(1.5);
  }
  {
    common::KeyValue* kv = attrs->Add();
    kv->set_key("ok");
    kv->mutable_value()->set_bool_value(true);
  }
  {
    common::KeyValue* kv = attrs->Add();
    kv->set_key("list");
    auto* array = kv->mutable_value()->mutable_array_value();
    array->add_values()->set_int_value(1);
    array->add_values()->set_string_value("a");
  }
  {
    common::KeyValue* kv = attrs->Add();
    kv->set_key("map");
    auto* kvlist = kv->mutable_value()->mutable_kvlist_value();
    common::KeyValue* b = kvlist->add_values();
    b->set_key("b");
    b->mutable_value()->set_int_value(1);
    AddStr(kvlist->mutable_values(), "a", "x");
  }
  {
    common::KeyValue* kv = attrs->Add();
    kv->set_key("raw");
    kv->mutable_value()->set_bytes_value(std::string("\x01\x02\xff", 3));
  }
  span->mutable_status()->set_code(trace::Status::STATUS_CODE_ERROR);
  span->mutable_status()->set_message("boom");
  trace::Span::Event* event = span->add_events();
  event->set_name("exception");
  event->set_time_unix_nano(kStart + 500000000);
  AddStr(event->mutable_attributes(), "exception.message", "oops");
  trace::Span::Link* link = span->add_links();
  link->set_trace_id(kTraceId);
  link->set_span_id(kParentId);
  link->set_trace_state("rojo=00f067aa0ba902b7");
  link->set_dropped_attributes_count(2);

  trace::Span* root = ss->add_spans();
  root->set_trace_id(kTraceId);
  root->set_span_id(kParentId);
  root->set_name("root");
  root->set_kind(trace::Span::SPAN_KIND_CLIENT);
  root->set_start_time_unix_nano(kStart);
  root->set_end_time_unix_nano(kEnd);
  return request;
}

// Five metrics (gauge with two points, sum, histogram, exponential histogram,
// summary): six data points.
inline MetricsRequest MakeMetrics() {
  MetricsRequest request;
  metrics::ResourceMetrics* rm = request.add_resource_metrics();
  FillResource(rm->mutable_resource());
  metrics::ScopeMetrics* sm = rm->add_scope_metrics();
  FillScope(sm->mutable_scope());

  metrics::Metric* gauge = sm->add_metrics();
  gauge->set_name("requests");
  gauge->set_description("total requests");
  gauge->set_unit("1");
  for (int i = 0; i < 2; ++i) {
    metrics::NumberDataPoint* p = gauge->mutable_gauge()->add_data_points();
    AddStr(p->mutable_attributes(), "route", i == 0 ? "/a" : "/b");
    p->set_start_time_unix_nano(kStart);
    p->set_time_unix_nano(kStart + 1000000000);
    p->set_as_int(7 + i);
    if (i == 0) {
      metrics::Exemplar* e = p->add_exemplars();
      e->set_trace_id(kTraceId);
      e->set_span_id(kSpanId);
      e->set_time_unix_nano(kStart);
      e->set_as_int(7);
      AddStr(e->mutable_filtered_attributes(), "user", "bob");
    }
  }

  metrics::Metric* sum = sm->add_metrics();
  sum->set_name("latency");
  sum->mutable_sum()->set_is_monotonic(true);
  sum->mutable_sum()->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  metrics::NumberDataPoint* sp = sum->mutable_sum()->add_data_points();
  sp->set_time_unix_nano(kStart);
  sp->set_as_double(1.5);

  metrics::Metric* histogram = sm->add_metrics();
  histogram->set_name("histo");
  histogram->mutable_histogram()->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_DELTA);
  metrics::HistogramDataPoint* hp = histogram->mutable_histogram()->add_data_points();
  hp->set_time_unix_nano(kStart);
  hp->set_count(6);
  hp->set_sum(12.5);
  hp->set_min(0.5);
  hp->set_max(9);
  hp->add_explicit_bounds(1);
  hp->add_explicit_bounds(5);
  hp->add_bucket_counts(1);
  hp->add_bucket_counts(2);
  hp->add_bucket_counts(3);

  metrics::Metric* exp = sm->add_metrics();
  exp->set_name("exp");
  exp->mutable_exponential_histogram()->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_DELTA);
  metrics::ExponentialHistogramDataPoint* ep = exp->mutable_exponential_histogram()->add_data_points();
  ep->set_time_unix_nano(kStart);
  ep->set_count(4);
  ep->set_sum(2.25);
  ep->set_scale(0);
  ep->set_zero_count(1);
  ep->mutable_positive()->set_offset(0);
  ep->mutable_positive()->add_bucket_counts(1);
  ep->mutable_positive()->add_bucket_counts(1);
  ep->mutable_negative()->set_offset(0);
  ep->mutable_negative()->add_bucket_counts(1);

  metrics::Metric* summary = sm->add_metrics();
  summary->set_name("summ");
  metrics::SummaryDataPoint* qp = summary->mutable_summary()->add_data_points();
  qp->set_time_unix_nano(kStart);
  qp->set_count(3);
  qp->set_sum(6);
  auto* q1 = qp->add_quantile_values();
  q1->set_quantile(0.5);
  q1->set_value(2);
  auto* q2 = qp->add_quantile_values();
  q2->set_quantile(0.99);
  q2->set_value(3);
  return request;
}

// Three log records: a string body with ids, a map body with an event name,
// and a WARN3 record without anything else.
inline LogsRequest MakeLogs() {
  LogsRequest request;
  logs::ResourceLogs* rl = request.add_resource_logs();
  FillResource(rl->mutable_resource());
  logs::ScopeLogs* sl = rl->add_scope_logs();
  FillScope(sl->mutable_scope());

  logs::LogRecord* r0 = sl->add_log_records();
  r0->set_time_unix_nano(kStart);
  r0->set_severity_number(logs::SEVERITY_NUMBER_INFO);
  r0->set_severity_text("INFO");
  r0->mutable_body()->set_string_value("hello world");
  AddStr(r0->mutable_attributes(), "user", "bob");
  r0->set_trace_id(kTraceId);
  r0->set_span_id(kSpanId);
  r0->set_flags(1);

  logs::LogRecord* r1 = sl->add_log_records();
  r1->set_severity_number(logs::SEVERITY_NUMBER_ERROR);
  r1->set_event_name("login");
  auto* kvlist = r1->mutable_body()->mutable_kvlist_value();
  common::KeyValue* n = kvlist->add_values();
  n->set_key("n");
  n->mutable_value()->set_int_value(2);
  AddStr(kvlist->mutable_values(), "k", "v");

  logs::LogRecord* r2 = sl->add_log_records();
  r2->set_severity_number(logs::SEVERITY_NUMBER_WARN3);
  return request;
}

template <class Request>
PayloadPtr ToPayload(Signal signal, const Request& request, std::uint64_t items = 1) {
  return MakePayload(signal, request.SerializeAsString(), items);
}

}  // namespace otlpd::exporters::debug::testing
