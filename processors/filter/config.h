#pragma once

#include <array>
#include <vector>

#include "config/decoder.h"
#include "ottl/compiler.h"

namespace otlpd::processors::filter {

// One list of conditions run over one context; an item for which any
// condition is true is dropped.
struct ConditionGroup {
  ottl::ContextKind context = ottl::ContextKind::kResource;
  std::vector<ottl::Condition> conditions;
  ottl::ErrorMode error_mode = ottl::ErrorMode::kIgnore;
};

// otelcol-contrib's `filter` processor config (v0.161.0): `error_mode`,
// `traces.{resource,span,spanevent}`, `metrics.{resource,metric,datapoint}`,
// `logs.{resource,log_record}` and the context-inferred
// `trace_conditions`/`metric_conditions`/`log_conditions` (strings or
// `{context, conditions, error_mode}` groups). Every condition is compiled
// here; a bad one is a located config error. The legacy include/exclude
// match properties and profiles are refused (see the README).
struct Config {
  ottl::ErrorMode error_mode = ottl::ErrorMode::kIgnore;
  // Per signal (Signal index), in the order they run on a request.
  std::array<std::vector<ConditionGroup>, 3> groups;

  static Config Decode(config::MapDecoder& d);
};

}  // namespace otlpd::processors::filter
