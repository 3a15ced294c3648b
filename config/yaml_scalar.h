#pragma once

#include <optional>
#include <string_view>

namespace otlpd::config {

// The Go type otelcol's YAML decoder (go-yaml v3) gives a plain scalar with
// this text when it is not a string: "bool" (true, False, ...), "int" (5,
// 0x1F, 0o17, 1_000), "float64" (1.5, .inf); nullopt for a string (null
// spellings included: callers check those). Defined with the decoder's
// number rules (decoder.cpp).
std::optional<std::string_view> GoYamlScalarType(std::string_view plain);

}  // namespace otlpd::config
