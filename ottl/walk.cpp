#include "ottl/walk.h"

namespace otlpd::ottl {
namespace {

// Calls fn with a fresh cache; records the first error and stops calling.
struct Runner {
  const ItemFn& fn;
  EvalContext ctx;
  Attrs cache;
  Status error;

  bool Call() {
    if (!error.ok()) return false;
    cache.Clear();
    ctx.cache = &cache;
    Result<bool> r = fn(ctx);
    if (!r.ok()) {
      error = r.status();
      return false;
    }
    return *r;
  }
};

template <class DP>
void WalkPoints(Runner& run, google::protobuf::RepeatedPtrField<DP>& points, DataPointRef::Type type) {
  RemoveIf(points, [&](DP& p) {
    run.ctx.datapoint = DataPointRef{type, &p};
    return run.Call();
  });
}

// The resource and scope levels every signal shares: sets the context's
// resource and scope, calls fn at the level `context` names, and below that
// hands each scope entry to `items`. `scopes` gives a resource entry's scope
// entries.
template <class Resources, class Scopes, class Items>
void WalkResources(Runner& run, ContextKind context, Resources& resources, Scopes scopes, Items items) {
  RemoveIf(resources, [&](auto& r) {
    run.ctx.resource = r.mutable_resource();
    run.ctx.resource_schema_url = r.mutable_schema_url();
    if (context == ContextKind::kResource) return run.Call();
    RemoveIf(*scopes(r), [&](auto& scope) {
      run.ctx.scope = scope.mutable_scope();
      run.ctx.scope_schema_url = scope.mutable_schema_url();
      if (context == ContextKind::kScope) return run.Call();
      items(scope);
      return false;
    });
    return false;
  });
}

}  // namespace

Status Walk(TracesRequest& request, ContextKind context, const ItemFn& fn, std::int64_t now_ns) {
  Runner run{fn, {}, {}, Status::Ok()};
  run.ctx.now_ns = now_ns;
  WalkResources(
      run, context, *request.mutable_resource_spans(),
      [](tracepb::ResourceSpans& rs) { return rs.mutable_scope_spans(); },
      [&](tracepb::ScopeSpans& ss) {
        RemoveIf(*ss.mutable_spans(), [&](tracepb::Span& span) {
          run.ctx.span = &span;
          if (context == ContextKind::kSpan) return run.Call();
          std::int64_t index = 0;
          RemoveIf(*span.mutable_events(), [&](tracepb::Span_Event& ev) {
            run.ctx.event = &ev;
            run.ctx.event_index = index++;
            return run.Call();
          });
          return false;
        });
      });
  return run.error;
}

Status Walk(MetricsRequest& request, ContextKind context, const ItemFn& fn, std::int64_t now_ns) {
  Runner run{fn, {}, {}, Status::Ok()};
  run.ctx.now_ns = now_ns;
  WalkResources(
      run, context, *request.mutable_resource_metrics(),
      [](metricspb::ResourceMetrics& rm) { return rm.mutable_scope_metrics(); },
      [&](metricspb::ScopeMetrics& sm) {
        RemoveIf(*sm.mutable_metrics(), [&](metricspb::Metric& m) {
          run.ctx.metric = &m;
          if (context == ContextKind::kMetric) return run.Call();
          using T = DataPointRef::Type;
          switch (m.data_case()) {
            case metricspb::Metric::kGauge:
              WalkPoints(run, *m.mutable_gauge()->mutable_data_points(), T::kNumber);
              break;
            case metricspb::Metric::kSum:
              WalkPoints(run, *m.mutable_sum()->mutable_data_points(), T::kNumber);
              break;
            case metricspb::Metric::kHistogram:
              WalkPoints(run, *m.mutable_histogram()->mutable_data_points(), T::kHistogram);
              break;
            case metricspb::Metric::kExponentialHistogram:
              WalkPoints(run, *m.mutable_exponential_histogram()->mutable_data_points(),
                         T::kExponentialHistogram);
              break;
            case metricspb::Metric::kSummary:
              WalkPoints(run, *m.mutable_summary()->mutable_data_points(), T::kSummary);
              break;
            default: break;
          }
          return false;
        });
      });
  return run.error;
}

Status Walk(LogsRequest& request, ContextKind context, const ItemFn& fn, std::int64_t now_ns) {
  Runner run{fn, {}, {}, Status::Ok()};
  run.ctx.now_ns = now_ns;
  WalkResources(
      run, context, *request.mutable_resource_logs(),
      [](logspb::ResourceLogs& rl) { return rl.mutable_scope_logs(); },
      [&](logspb::ScopeLogs& sl) {
        RemoveIf(*sl.mutable_log_records(), [&](logspb::LogRecord& log) {
          run.ctx.log = &log;
          return run.Call();
        });
      });
  return run.error;
}

int DataPointCount(const metricspb::Metric& m) {
  switch (m.data_case()) {
    case metricspb::Metric::kGauge: return m.gauge().data_points_size();
    case metricspb::Metric::kSum: return m.sum().data_points_size();
    case metricspb::Metric::kHistogram: return m.histogram().data_points_size();
    case metricspb::Metric::kExponentialHistogram: return m.exponential_histogram().data_points_size();
    case metricspb::Metric::kSummary: return m.summary().data_points_size();
    default: return 0;
  }
}

std::uint64_t CountItems(const TracesRequest& request) {
  std::uint64_t n = 0;
  for (const auto& rs : request.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) n += static_cast<std::uint64_t>(ss.spans_size());
  }
  return n;
}

std::uint64_t CountItems(const MetricsRequest& request) {
  std::uint64_t n = 0;
  for (const auto& rm : request.resource_metrics()) {
    for (const auto& sm : rm.scope_metrics()) {
      for (const auto& m : sm.metrics()) n += static_cast<std::uint64_t>(DataPointCount(m));
    }
  }
  return n;
}

std::uint64_t CountItems(const LogsRequest& request) {
  std::uint64_t n = 0;
  for (const auto& rl : request.resource_logs()) {
    for (const auto& sl : rl.scope_logs()) n += static_cast<std::uint64_t>(sl.log_records_size());
  }
  return n;
}

}  // namespace otlpd::ottl
