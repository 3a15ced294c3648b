#include "connectors/routing/routing_connector.h"

#include <map>
#include <memory>

#include <google/protobuf/arena.h>
#include <spdlog/spdlog.h>

#include "opentelemetry/proto/resource/v1/resource.pb.h"
#include "otlp/wire/field_numbers.h"
#include "otlp/wire/regroup.h"
#include "otlp/wire/wire_walker.h"
#include "ottl/config.h"
#include "ottl/context.h"
#include "ottl/decoded.h"
#include "ottl/resource_pass.h"
#include "ottl/walk.h"

namespace otlpd::connectors::routing {
namespace {

// Data point `i` of a decoded metric, as the OTTL datapoint context sees it.
ottl::DataPointRef PointRef(ottl::metricspb::Metric& m, int i) {
  using T = ottl::DataPointRef::Type;
  namespace mp = ottl::metricspb;
  switch (m.data_case()) {
    case mp::Metric::kGauge: return {T::kNumber, m.mutable_gauge()->mutable_data_points(i)};
    case mp::Metric::kSum: return {T::kNumber, m.mutable_sum()->mutable_data_points(i)};
    case mp::Metric::kHistogram: return {T::kHistogram, m.mutable_histogram()->mutable_data_points(i)};
    case mp::Metric::kExponentialHistogram:
      return {T::kExponentialHistogram, m.mutable_exponential_histogram()->mutable_data_points(i)};
    case mp::Metric::kSummary: return {T::kSummary, m.mutable_summary()->mutable_data_points(i)};
    default: return {};
  }
}

bool MatchRequest(const Route& r, const Payload& p) {
  std::optional<std::string> got;
  if (p.metadata) {
    for (const auto& [k, v] : *p.metadata) {
      if (k == r.header) {
        got = v;
        break;
      }
    }
  }
  const bool equal = got && *got == r.value;
  return r.equals ? equal : !equal;
}

// Hands `p` to one route: counted as sent, or kept in `result` when it is
// the first refusal or a retryable one (a retryable refusal wins: the
// upstream retries the request).
void DeliverToRoute(Consumer& consumer, const PayloadPtr& p, SignalCounters& counters, Status& result) {
  Status s = consumer.Consume(p);
  if (s.ok()) {
    SignalCounters::Add(counters.sent, p->items);
  } else if (result.ok() || s.retryable()) {
    result = s;
  }
}

}  // namespace

bool RoutingConnector::Matches(const Route& route, ottl::EvalContext& ctx, Status& failure) const {
  if (!route.condition.has_value()) return true;
  ottl::Attrs cache;
  ctx.cache = &cache;
  Result<bool> r = route.condition->Eval(ctx);
  ctx.cache = nullptr;
  if (r.ok()) return *r;
  if (config_.error_mode == ottl::ErrorMode::kPropagate) {
    if (failure.ok())
      failure = Status::InvalidArgument("failed to eval condition: " + route.condition->text() + ", " +
                                        r.status().message());
  } else {
    ottl::WarnIgnored(config_.error_mode, "eval condition", route.condition->text(), r.status());
  }
  return false;
}

bool RoutingConnector::AppliesToItems(const Route& r) const {
  if (r.context != Route::Context::kItem) return false;
  switch (signal_) {
    case Signal::kTraces: return r.item_context == ottl::ContextKind::kSpan;
    case Signal::kMetrics:
      return r.item_context == ottl::ContextKind::kMetric || r.item_context == ottl::ContextKind::kDataPoint;
    case Signal::kLogs: return r.item_context == ottl::ContextKind::kLog;
    case Signal::kProfiles: break;  // not a signal of this connector
  }
  return false;
}

Status RoutingConnector::ConsumeItems(const PayloadPtr& payload) {
  SignalCounters& counters = (*telemetry_)[signal_];
  SignalCounters::Add(counters.accepted, payload->items);
  // Destinations in first-met order; an item with none (no route, no
  // default) is dropped, as contrib drops it.
  std::vector<Consumer*> consumers;
  auto group_of = [&](Consumer* c) -> int {
    for (std::size_t i = 0; i < consumers.size(); ++i)
      if (consumers[i] == c) return static_cast<int>(i);
    consumers.push_back(c);
    return static_cast<int>(consumers.size() - 1);
  };
  std::vector<int> request_match(config_.table.size(), -1);  // per route: -1 unknown, 0/1
  Status failure;
  auto eval = [&](const Route& route, ottl::EvalContext& ctx) { return Matches(route, ctx, failure); };

  google::protobuf::Arena arena;
  wire::Regrouper regroup;
  bool one_group = true;
  int only_group = -2;  // -2: none yet
  auto note_group = [&](int g) {
    if (only_group == -2) only_group = g;
    if (g != only_group) one_group = false;
  };
  constexpr int kSplitMetric = -3;  // a metric whose data points go different ways
  for (const wire::Entry& r : wire::Resources(signal_, payload->bytes)) {
    arena.Reset();
    auto* resource =
        google::protobuf::Arena::CreateMessage<opentelemetry::proto::resource::v1::Resource>(&arena);
    if (!ottl::ParseEntryResource(r.message, *resource))
      return Status::InvalidArgument("routing: malformed resource");
    std::string resource_schema(wire::LastLen(r.message, wire::kEntrySchemaUrl));
    // Per route, the resource's verdict (resource routes), computed once.
    std::vector<int> resource_match(config_.table.size(), -1);
    // Each item's destination group (-1: dropped), in walk order; the data
    // points' of a metric cut between routes.
    std::vector<int> dest;
    std::vector<std::vector<int>> point_dest;
    struct ScopeItems {
      std::string_view message;
      std::vector<wire::Entry> items;
    };
    std::vector<ScopeItems> scopes;
    for (const wire::Entry& s : wire::Scopes(signal_, r.message)) {
      auto* scope = ottl::ParseOnArena<opentelemetry::proto::common::v1::InstrumentationScope>(
          arena, wire::FirstLen(s.message, wire::kScopeEntryScope));
      if (scope == nullptr) return Status::InvalidArgument("routing: malformed scope");
      std::string scope_schema(wire::LastLen(s.message, wire::kEntrySchemaUrl));
      ScopeItems& si = scopes.emplace_back();
      si.message = s.message;
      for (const wire::Entry& item : wire::Items(signal_, s.message)) {
        si.items.push_back(item);
        ottl::EvalContext ctx;
        ctx.resource = resource;
        ctx.resource_schema_url = &resource_schema;
        ctx.scope = scope;
        ctx.scope_schema_url = &scope_schema;
        bool parsed = false;
        switch (signal_) {
          case Signal::kTraces:
            parsed = (ctx.span = ottl::ParseOnArena<ottl::tracepb::Span>(arena, item.message));
            break;
          case Signal::kMetrics:
            parsed = (ctx.metric = ottl::ParseOnArena<ottl::metricspb::Metric>(arena, item.message));
            break;
          case Signal::kLogs:
            parsed = (ctx.log = ottl::ParseOnArena<ottl::logspb::LogRecord>(arena, item.message));
            break;
          case Signal::kProfiles: break;  // not a signal of this connector
        }
        if (!parsed) {
          return Status::InvalidArgument(signal_ == Signal::kTraces    ? "routing: malformed span"
                                         : signal_ == Signal::kMetrics ? "routing: malformed metric"
                                                                       : "routing: malformed log record");
        }
        // Per route, the item's verdict where it does not depend on a data point.
        std::vector<int> item_match(config_.table.size(), -1);
        // The first route that takes the item (point < 0) or its data point `point`.
        auto decide = [&](int point) -> int {
          for (std::size_t k = 0; k < config_.table.size(); ++k) {
            const Route& route = config_.table[k];
            bool match = false;
            if (route.context == Route::Context::kRequest) {
              if (request_match[k] < 0) request_match[k] = MatchRequest(route, *payload) ? 1 : 0;
              match = request_match[k] == 1;
            } else if (route.context == Route::Context::kResource) {
              if (resource_match[k] < 0) {
                ottl::EvalContext rctx;
                rctx.resource = resource;
                rctx.resource_schema_url = &resource_schema;
                resource_match[k] = eval(route, rctx) ? 1 : 0;
              }
              match = resource_match[k] == 1;
            } else if (!AppliesToItems(route)) {
              continue;  // another signal's items: matches nothing
            } else if (route.item_context == ottl::ContextKind::kDataPoint) {
              if (point < 0) continue;  // a metric without points has nothing for it
              ctx.datapoint = PointRef(*ctx.metric, point);
              match = eval(route, ctx);
              ctx.datapoint = {};
            } else {
              if (item_match[k] < 0) item_match[k] = eval(route, ctx) ? 1 : 0;
              match = item_match[k] == 1;
            }
            if (!failure.ok()) return -1;
            if (match) return group_of(route.consumer);
          }
          return default_ != nullptr ? group_of(default_) : -1;
        };
        std::vector<int> pd;
        if (has_point_routes_) {
          const int points = ottl::DataPointCount(*ctx.metric);
          for (int i = 0; i < points && failure.ok(); ++i) pd.push_back(decide(i));
        }
        if (!failure.ok()) break;
        bool same = true;
        for (int d : pd) same = same && d == pd.front();
        if (pd.empty() || same) {
          const int chosen = pd.empty() ? decide(-1) : pd.front();
          if (!failure.ok()) break;
          dest.push_back(chosen);
          point_dest.emplace_back();
          note_group(chosen);
          continue;
        }
        for (int d : pd) note_group(d);
        dest.push_back(kSplitMetric);
        point_dest.push_back(std::move(pd));
      }
      if (!failure.ok()) break;
    }
    if (!failure.ok()) break;
    // Hand the resource to the regrouper: whole when every item goes one way.
    if (dest.empty()) {
      // A resource without items follows the default route, as contrib leaves it in the rest.
      const int g = default_ != nullptr ? group_of(default_) : -1;
      note_group(g);
      if (g >= 0) regroup.AddResource(g, r.field, r.items);
      continue;
    }
    bool same = true;
    for (int d : dest) same = same && d == dest.front();
    if (same && dest.front() != kSplitMetric) {
      if (dest.front() >= 0) regroup.AddResource(dest.front(), r.field, r.items);
      continue;
    }
    regroup.BeginResource(r.message);
    std::size_t at = 0;
    for (const ScopeItems& si : scopes) {
      regroup.BeginScope(si.message);
      for (const wire::Entry& item : si.items) {
        const std::size_t i = at++;
        // An item without a destination (no route, no default) is not sent, as in contrib.
        if (dest[i] >= 0) regroup.AddItem(dest[i], item.field, item.items);
        if (dest[i] != kSplitMetric) continue;
        wire::MetricPoints mp;
        if (!wire::SplitMetricPoints(item.message, mp) || mp.points.size() != point_dest[i].size())
          return Status::InvalidArgument("routing: malformed metric");
        regroup.BeginMetric(mp.header, mp.data_field, mp.data_header);
        for (std::size_t p = 0; p < mp.points.size(); ++p) {
          if (point_dest[i][p] >= 0) regroup.AddPoint(point_dest[i][p], mp.points[p]);
        }
        regroup.EndMetric();
      }
      regroup.EndScope();
    }
    regroup.EndResource();
  }
  if (!failure.ok()) {
    SignalCounters::Add(counters.refused, payload->items);
    return failure;
  }
  Status result;
  for (std::size_t g = 0; g < consumers.size(); ++g) {
    PayloadPtr p = one_group && only_group == static_cast<int>(g)
                       ? payload
                       : DerivePayload(*payload, std::move(regroup.request(static_cast<int>(g))),
                                       regroup.items(static_cast<int>(g)));
    if (p->items == 0 && p->bytes.empty()) continue;
    DeliverToRoute(*consumers[g], p, counters, result);
  }
  if (!result.ok()) SignalCounters::Add(counters.refused, payload->items);
  return result;
}

Status RoutingConnector::Consume(const PayloadPtr& payload) {
  if (has_item_routes_) return ConsumeItems(payload);
  SignalCounters& counters = (*telemetry_)[signal_];
  SignalCounters::Add(counters.accepted, payload->items);
  // Consumer -> (resource entries, items); whole: the payload goes as it is.
  struct Out {
    std::string bytes;
    std::uint64_t items = 0;
    bool whole = false;
  };
  std::vector<std::pair<Consumer*, Out>> outs;
  auto out_for = [&](Consumer* c) -> Out& {
    for (auto& [k, o] : outs)
      if (k == c) return o;
    return outs.emplace_back(c, Out{}).second;
  };

  std::vector<wire::Entry> rest;
  for (const wire::Entry& e : wire::Resources(signal_, payload->bytes)) rest.push_back(e);
  const std::size_t total = rest.size();
  Status failure;
  for (const Route& route : config_.table) {
    if (rest.empty()) break;
    if (route.context == Route::Context::kItem) continue;  // another signal's items: matches nothing
    if (route.context == Route::Context::kRequest) {
      if (!MatchRequest(route, *payload)) continue;
      Out& o = out_for(route.consumer);
      o.whole = rest.size() == total;
      for (const auto& e : rest) {
        o.bytes.append(e.field);
        o.items += e.items;
      }
      rest.clear();
      break;
    }
    std::vector<wire::Entry> left;
    for (const wire::Entry& e : rest) {
      bool match = !route.condition.has_value();
      if (!match) {
        opentelemetry::proto::resource::v1::Resource resource;
        if (!ottl::ParseEntryResource(e.message, resource))
          return Status::InvalidArgument("routing: malformed resource");
        ottl::EvalContext ctx;
        ctx.resource = &resource;
        match = Matches(route, ctx, failure);
        if (!failure.ok()) break;
      }
      if (match) {
        Out& o = out_for(route.consumer);
        o.bytes.append(e.field);
        o.items += e.items;
      } else {
        left.push_back(e);
      }
    }
    if (!failure.ok()) break;
    rest = std::move(left);
  }
  if (!failure.ok()) {
    SignalCounters::Add(counters.refused, payload->items);
    return failure;
  }
  if (!rest.empty() && default_ != nullptr) {
    Out& o = out_for(default_);
    for (const auto& e : rest) {
      o.bytes.append(e.field);
      o.items += e.items;
    }
  }
  // One route took every resource: pass the payload on untouched.
  if (outs.size() == 1 && outs[0].second.items == payload->items && rest.empty()) outs[0].second.whole = true;

  Status result;
  for (auto& [consumer, o] : outs) {
    PayloadPtr p = o.whole ? payload : DerivePayload(*payload, std::move(o.bytes), o.items);
    DeliverToRoute(*consumer, p, counters, result);
  }
  if (!result.ok()) SignalCounters::Add(counters.refused, payload->items);
  return result;
}

}  // namespace otlpd::connectors::routing
