#pragma once

#include <optional>
#include <string>
#include <vector>

#include "component/component.h"
#include "component/factory.h"
#include "component/telemetry.h"
#include "config/decoder.h"
#include "ottl/compiler.h"

namespace otlpd::connectors::routing {

// One `table` entry, compiled.
struct Route {
  enum class Context { kResource, kRequest } context = Context::kResource;
  std::optional<ottl::Condition> condition;  // resource context; null: always (a statement without `where`)
  // request context: request["key"] == / != "value"
  std::string header;
  std::string value;
  bool equals = true;
  std::vector<config::ComponentId> pipelines;
  Consumer* consumer = nullptr;
};

struct Config {
  std::vector<Route> table;
  std::vector<config::ComponentId> default_pipelines;
  ottl::ErrorMode error_mode = ottl::ErrorMode::kPropagate;

  // Decodes and validates `connectors.routing[/name]` (contrib's keys and
  // messages); throws config::Error. Route consumers are not set.
  static Config Decode(config::MapDecoder& d);
};

// contrib's routing connector (first match, as since v0.120): each resource
// of a request goes to the pipelines of the first route whose condition it
// matches, or to default_pipelines, or nowhere. A request-context route
// matches the whole rest of the request on its client metadata (the
// receiver's include_metadata). Requests are split on the wire: resource
// entries are copied byte for byte into the request of their route, and a
// request that goes whole to one route is passed on as the same payload.
class RoutingConnector : public Connector {
 public:
  RoutingConnector(Signal signal, Config config, Consumer* default_consumer, ComponentTelemetry* telemetry)
      : signal_(signal), config_(std::move(config)), default_(default_consumer), telemetry_(telemetry) {}

  Status Start() override { return Status::Ok(); }
  void Shutdown(Clock::time_point) override {}
  Status Consume(const PayloadPtr& payload) override;

 private:
  const Signal signal_;
  const Config config_;
  Consumer* const default_;  // null: no default pipelines
  ComponentTelemetry* const telemetry_;
};

ConnectorFactory RoutingConnectorFactory();

}  // namespace otlpd::connectors::routing
