#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/feature_gates.h"
#include "config/node.h"

namespace otlpd::config {

// Looks up an environment variable; nullopt when unset (distinct from "").
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup ProcessEnv();

// Parses YAML text into a Node tree; `source` names it in marks. Throws Error
// with line and column on a YAML syntax error.
Node ParseYaml(std::string_view text, std::string source);

struct LoadOptions {
  // --config values in order: a path, "file:path", "env:VAR" (YAML in a
  // variable) or "yaml:a::b: value". Later ones are deep-merged over earlier
  // ones (maps merged key by key, lists and scalars replaced).
  std::vector<std::string> config_uris;
  // --set values in order: "a.b.c=value", applied last, as "yaml:a::b::c: value".
  std::vector<std::string> set_flags;
  // Used for ${env:VAR}, ${VAR}, ${env:VAR:-default} and env: URIs.
  EnvLookup env = ProcessEnv();
  // Text used when config_uris is empty (otlpd's embedded default).
  std::string default_yaml;
  // --feature-gates: what the loaded config may use (profiles pipelines).
  FeatureGates gates{};
  // --receive-memory-mib in bytes: what the service's receivers may hold at
  // once (ReceiveBudget); 0 sizes it from their request limits. Carried here
  // so every build of the config (start, reload, validate) uses it.
  std::uint64_t receive_memory_bytes = 0;
};

// Loads, merges, applies --set and expands ${...} in every scalar. `$$` is a
// literal `$`. A scalar that is exactly one ${...} takes the YAML type of the
// value (so ${env:PORT} can be an int); an embedded reference is substituted
// as text. Throws Error naming the source, line, column and key path.
// Unset variables without a default expand to "" and are reported through
// `warnings` (otelcol logs a warning, too).
Node Load(const LoadOptions& options, std::vector<std::string>* warnings = nullptr);

// Deep merge of `over` into `base` (maps merged, everything else replaced).
void Merge(Node& base, const Node& over);

}  // namespace otlpd::config
