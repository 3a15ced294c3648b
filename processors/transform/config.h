#pragma once

#include <array>
#include <vector>

#include "config/decoder.h"
#include "ottl/compiler.h"

namespace otlpd::processors::transform {

// One `{context, conditions, statements, error_mode}` group: for each item
// of its context, when any condition is true (or there is none), the
// statements run in order.
struct StatementGroup {
  ottl::ContextKind context = ottl::ContextKind::kResource;
  std::vector<ottl::Condition> conditions;
  std::vector<ottl::Statement> statements;
  ottl::ErrorMode error_mode = ottl::ErrorMode::kIgnore;
};

// otelcol-contrib's `transform` processor config (v0.161.0): `error_mode`,
// `trace_statements`, `metric_statements`, `log_statements`, each a flat
// list of statements (context inferred) or a list of groups. Every statement
// is compiled here; a bad one is a located config error.
struct Config {
  ottl::ErrorMode error_mode = ottl::ErrorMode::kIgnore;
  std::array<std::vector<StatementGroup>, 3> groups;  // by Signal index, in config order

  static Config Decode(config::MapDecoder& d);
};

}  // namespace otlpd::processors::transform
