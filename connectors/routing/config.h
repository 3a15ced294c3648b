#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/component_id.h"
#include "config/decoder.h"
#include "ottl/compiler.h"

namespace otlpd {
class Consumer;
}

namespace otlpd::connectors::routing {

// One `table` entry, compiled.
struct Route {
  enum class Context { kResource, kRequest, kItem } context = Context::kResource;
  // kItem: the OTTL context of the route (span, metric, log); it applies to
  // the connector of that context's signal and matches nothing elsewhere.
  ottl::ContextKind item_context = ottl::ContextKind::kResource;
  std::optional<ottl::Condition> condition;  // null: always (a statement without `where`)
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

}  // namespace otlpd::connectors::routing
