#pragma once

#include "component/component.h"
#include "component/telemetry.h"
#include "connectors/routing/config.h"
#include "ottl/compiler.h"

namespace otlpd::connectors::routing {

// contrib's routing connector (first match, as since v0.120): each resource
// of a request goes to the pipelines of the first route whose condition it
// matches, or to default_pipelines, or nowhere. A request-context route
// matches the whole rest of the request on its client metadata (the
// receiver's include_metadata). Routes in an item context (span, metric,
// log) decide per item instead: an item goes to the first route that matches
// it, its own condition or its resource's. Requests are split on the wire:
// resource entries (and items) are copied byte for byte into the request of
// their route, a resource split between routes keeps its resource and scope
// in each part, and a request that goes whole to one route is passed on as
// the same payload.
class RoutingConnector : public Connector {
 public:
  RoutingConnector(Signal signal, Config config, Consumer* default_consumer, ComponentTelemetry* telemetry)
      : signal_(signal), config_(std::move(config)), default_(default_consumer), telemetry_(telemetry) {
    for (const Route& r : config_.table) {
      has_item_routes_ = has_item_routes_ || AppliesToItems(r);
      has_point_routes_ =
          has_point_routes_ || (AppliesToItems(r) && r.item_context == ottl::ContextKind::kDataPoint);
    }
  }

  // Whether `r` is an item-context route of this connector's signal.
  bool AppliesToItems(const Route& r) const;

  Status Start() override { return Status::Ok(); }
  void Shutdown(Clock::time_point) override {}
  Status Consume(const PayloadPtr& payload) override;

 private:
  // Per item, when a route of this signal's item context exists.
  Status ConsumeItems(const PayloadPtr& payload);
  // Whether `route`'s condition holds in `ctx` (true without one). An
  // evaluation error is no match; under error_mode propagate the first one
  // is kept in `failure`, otherwise it is logged.
  bool Matches(const Route& route, ottl::EvalContext& ctx, Status& failure) const;
  bool has_item_routes_ = false;
  bool has_point_routes_ = false;

  const Signal signal_;
  const Config config_;
  Consumer* const default_;  // null: no default pipelines
  ComponentTelemetry* const telemetry_;
};

}  // namespace otlpd::connectors::routing
