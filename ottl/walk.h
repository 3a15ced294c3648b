// Runs a callback over every item of a decoded Export*ServiceRequest at one
// context's granularity (each resource, each scope, each span, ...), with
// the EvalContext pointing at the item and its ancestors, as otelcol's
// processors iterate pdata. The callback may ask for the item's removal
// (filter); removal keeps the order of the others.
#pragma once

#include <functional>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "ottl/context.h"

namespace otlpd::ottl {

using TracesRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using MetricsRequest = opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using LogsRequest = opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;

// Returns true to remove the item, false to keep it; an error stops the walk
// and is returned.
using ItemFn = std::function<Result<bool>(EvalContext&)>;

// `context` must belong to the request's signal. `cache` is cleared before
// each item (the per-item `cache` map); `now_ns` is Now()'s value.
Status Walk(TracesRequest& request, ContextKind context, const ItemFn& fn, std::int64_t now_ns);
Status Walk(MetricsRequest& request, ContextKind context, const ItemFn& fn, std::int64_t now_ns);
Status Walk(LogsRequest& request, ContextKind context, const ItemFn& fn, std::int64_t now_ns);

// Items as otlpd counts them: spans, data points, log records.
std::uint64_t CountItems(const TracesRequest& request);
std::uint64_t CountItems(const MetricsRequest& request);
std::uint64_t CountItems(const LogsRequest& request);

// The number of data points of one metric (0 for a metric without data).
int DataPointCount(const metricspb::Metric& metric);

// Removes the elements for which `remove` is true, keeping the others' order.
template <class T, class Pred>
int RemoveIf(google::protobuf::RepeatedPtrField<T>& items, Pred remove) {
  int w = 0;
  const int n = items.size();
  for (int r = 0; r < n; ++r) {
    if (!remove(*items.Mutable(r))) {
      if (w != r) items.SwapElements(w, r);
      ++w;
    }
  }
  const int removed = n - w;
  if (removed > 0) items.DeleteSubrange(w, removed);
  return removed;
}

}  // namespace otlpd::ottl
