#include "processors/filter/filter_processor.h"

#include <google/protobuf/arena.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "otlp/wire/wire_walker.h"
#include "ottl/config.h"
#include "ottl/resource_pass.h"
#include "ottl/walk.h"

namespace otlpd::processors::filter {
namespace {

using ottl::ContextKind;

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool ItemLevel(ContextKind k) { return k != ContextKind::kResource && k != ContextKind::kScope; }

// Empty containers go, as otelcol prunes them: scopes without items when an
// item-level condition ran, resources without scopes always.
bool Prune(ottl::TracesRequest& req, bool items, bool) {
  int removed = 0;
  for (auto& rs : *req.mutable_resource_spans()) {
    if (items)
      removed += ottl::RemoveIf(*rs.mutable_scope_spans(), [](auto& ss) { return ss.spans_size() == 0; });
  }
  removed +=
      ottl::RemoveIf(*req.mutable_resource_spans(), [](auto& rs) { return rs.scope_spans_size() == 0; });
  return removed > 0;
}

bool Prune(ottl::MetricsRequest& req, bool items, bool points) {
  int removed = 0;
  for (auto& rm : *req.mutable_resource_metrics()) {
    for (auto& sm : *rm.mutable_scope_metrics()) {
      if (points) {
        // A metric whose data points are all gone goes; one without any
        // data type stays.
        removed += ottl::RemoveIf(*sm.mutable_metrics(), [](ottl::metricspb::Metric& m) {
          return m.data_case() != ottl::metricspb::Metric::DATA_NOT_SET && ottl::DataPointCount(m) == 0;
        });
      }
    }
    if (items)
      removed += ottl::RemoveIf(*rm.mutable_scope_metrics(), [](auto& sm) { return sm.metrics_size() == 0; });
  }
  removed +=
      ottl::RemoveIf(*req.mutable_resource_metrics(), [](auto& rm) { return rm.scope_metrics_size() == 0; });
  return removed > 0;
}

bool Prune(ottl::LogsRequest& req, bool items, bool) {
  int removed = 0;
  for (auto& rl : *req.mutable_resource_logs()) {
    if (items)
      removed +=
          ottl::RemoveIf(*rl.mutable_scope_logs(), [](auto& sl) { return sl.log_records_size() == 0; });
  }
  removed += ottl::RemoveIf(*req.mutable_resource_logs(), [](auto& rl) { return rl.scope_logs_size() == 0; });
  return removed > 0;
}

int ResourceCount(const ottl::TracesRequest& r) { return r.resource_spans_size(); }
int ResourceCount(const ottl::MetricsRequest& r) { return r.resource_metrics_size(); }
int ResourceCount(const ottl::LogsRequest& r) { return r.resource_logs_size(); }

// Drops what the groups match and prunes emptied containers, in place.
// `changed` tells whether anything was removed.
template <class Request>
FilterResult Apply(Request& req, const std::vector<ConditionGroup>& groups, bool& changed) {
  FilterResult out;
  out.items_before = ottl::CountItems(req);
  changed = false;
  bool items = false;
  bool points = false;
  const std::int64_t now = NowNs();
  for (const ConditionGroup& g : groups) {
    items = items || ItemLevel(g.context);
    points = points || g.context == ContextKind::kDataPoint;
    // OR over the conditions; a failing condition counts as false (the
    // item stays) and, under propagate, fails the request at the end.
    ottl::ItemFn fn = [&](ottl::EvalContext& ctx) -> Result<bool> {
      for (const ottl::Condition& c : g.conditions) {
        Result<bool> r = c.Eval(ctx);
        if (!r.ok()) {
          if (g.error_mode == ottl::ErrorMode::kPropagate) {
            if (out.error.ok()) {
              out.error = Status::InvalidArgument("failed to eval condition: " + c.text() + ", " +
                                                  r.status().message());
            }
            return false;
          }
          ottl::WarnIgnored(g.error_mode, "eval condition", c.text(), r.status());
          continue;
        }
        if (*r) {
          changed = true;
          return true;
        }
      }
      return false;
    };
    Status s = ottl::Walk(req, g.context, fn, now);
    if (!s.ok()) {
      out.error = s;
      return out;
    }
  }
  changed = Prune(req, items, points) || changed;
  out.items_after = ottl::CountItems(req);
  out.empty = ResourceCount(req) == 0;
  return out;
}

template <class Request>
Result<FilterResult> Run(std::string_view bytes, const std::vector<ConditionGroup>& groups) {
  google::protobuf::Arena arena;
  Request* req = ottl::ParseOnArena<Request>(arena, bytes);
  if (req == nullptr) return Status::InvalidArgument("malformed request");
  bool changed = false;
  FilterResult out = Apply(*req, groups, changed);
  if (changed && !out.empty) out.bytes = req->SerializeAsString();
  return out;
}

// True when no condition can match anything in `bytes`: every condition has
// a literal gate (ottl::Condition::literal_gate) and none of the literals
// occurs in the request. Such a condition evaluates to false without error.
bool NoLiteralPresent(const std::vector<ConditionGroup>& groups, std::string_view bytes) {
  for (const ConditionGroup& g : groups) {
    for (const ottl::Condition& c : g.conditions) {
      const std::vector<std::string>* gate = c.literal_gate();
      if (gate == nullptr) return false;
      for (const std::string& lit : *gate)
        if (bytes.find(lit) != std::string_view::npos) return false;
    }
  }
  return true;
}

// True when the request has nothing the filter would prune after dropping
// nothing: every resource has a scope, and with item-level conditions every
// scope has items (for data point conditions, every metric has points).
bool NothingToPrune(Signal signal, std::string_view bytes, const std::vector<ConditionGroup>& groups) {
  bool items = false;
  bool points = false;
  for (const ConditionGroup& g : groups) {
    items = items || ItemLevel(g.context);
    points = points || g.context == ContextKind::kDataPoint;
  }
  wire::EntryRange resources = wire::Resources(signal, bytes);
  for (const wire::Entry& r : resources) {
    bool any_scope = false;
    for (const wire::Entry& s : wire::Scopes(signal, r.message)) {
      any_scope = true;
      if (items && s.items == 0) return false;
      if (points) {
        for (const wire::Entry& m : wire::Items(signal, s.message))
          if (m.items == 0) return false;
      }
    }
    if (!any_scope) return false;
  }
  return !resources.malformed();
}

bool ResourceOnly(const std::vector<ConditionGroup>& groups) {
  for (const ConditionGroup& g : groups)
    if (g.context != ContextKind::kResource) return false;
  return true;
}

}  // namespace

Result<FilterResult> FilterRequest(Signal signal, std::string_view request,
                                   const std::vector<ConditionGroup>& groups) {
  switch (signal) {
    case Signal::kTraces: return Run<ottl::TracesRequest>(request, groups);
    case Signal::kMetrics: return Run<ottl::MetricsRequest>(request, groups);
    case Signal::kLogs: return Run<ottl::LogsRequest>(request, groups);
    case Signal::kProfiles: break;  // not a signal of this processor
  }
  return Status::Internal("unknown signal");
}

Status FilterProcessor::Consume(const PayloadPtr& payload) {
  const auto& groups = config_->groups[SignalIndex(signal_)];
  if (groups.empty()) return next_->Consume(payload);
  // None of the literals the conditions compare to is in the request: nothing
  // can be dropped, so nothing is decoded (a health-check filter on requests
  // without health checks).
  if (NoLiteralPresent(groups, payload->bytes) && NothingToPrune(signal_, payload->bytes, groups)) {
    return next_->Consume(payload);
  }
  if (ResourceOnly(groups)) return ConsumeResources(payload);
  auto decoded = ottl::DecodedRequest::Decode(payload);
  if (!decoded.ok()) return decoded.status();
  return ConsumeDecoded(**decoded);
}

// Only resource conditions: the items are never decoded (ottl/resource_pass.h).
Status FilterProcessor::ConsumeResources(const PayloadPtr& payload) {
  const auto& groups = config_->groups[SignalIndex(signal_)];
  Status error;
  auto drop = [&](ottl::EvalContext& ctx) -> Result<ottl::EntryAction> {
    for (const ConditionGroup& g : groups) {
      for (const ottl::Condition& c : g.conditions) {
        Result<bool> r = c.Eval(ctx);
        if (!r.ok()) {
          if (g.error_mode == ottl::ErrorMode::kPropagate) {
            if (error.ok()) {
              error = Status::InvalidArgument("failed to eval condition: " + c.text() + ", " +
                                              r.status().message());
            }
            continue;
          }
          ottl::WarnIgnored(g.error_mode, "eval condition", c.text(), r.status());
          continue;
        }
        if (*r) return ottl::EntryAction::kDrop;
      }
    }
    return ottl::EntryAction::kKeep;
  };
  auto r = ottl::ResourcePass(signal_, payload->bytes, drop, NowNs(), /*drop_without_scopes=*/true);
  if (!r.ok()) return r.status();
  if (telemetry_ != nullptr) {
    SignalCounters::Add((*telemetry_)[signal_].dropped, r->items_before - r->items_after);
  }
  if (!error.ok()) {
    spdlog::error("failed processing {}: {}", SignalName(signal_), error.message());
    return error;
  }
  if (r->empty) return Status::Ok();
  if (!r->changed) return next_->Consume(payload);
  return next_->Consume(DerivePayload(*payload, std::move(r->bytes), r->items_after));
}

Status FilterProcessor::ConsumeDecoded(DecodedPayload& payload) {
  ottl::DecodedRequest* decoded = ottl::AsDecodedRequest(payload);
  if (decoded == nullptr) return Consume(payload.Encode());
  ottl::DecodedRequest& request = *decoded;
  const auto& groups = config_->groups[SignalIndex(signal_)];
  if (groups.empty()) return ForwardDecoded(request, next_);
  bool changed = false;
  FilterResult r = std::visit([&](auto* req) { return Apply(*req, groups, changed); }, request.message());
  if (telemetry_ != nullptr) {
    SignalCounters::Add((*telemetry_)[signal_].dropped, r.items_before - r.items_after);
  }
  if (!r.error.ok()) {
    spdlog::error("failed processing {}: {}", SignalName(signal_), r.error.message());
    return r.error;
  }
  // otelcol's skip sentinel: nothing left, nothing sent, success reported.
  if (r.empty) return Status::Ok();
  if (changed) request.MarkChanged();
  return ForwardDecoded(request, next_);
}

}  // namespace otlpd::processors::filter
