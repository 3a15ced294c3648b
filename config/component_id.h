#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace otlpd::config {

// "type" or "type/name", as otelcol spells component and pipeline ids.
struct ComponentId {
  std::string type;
  std::string name;  // empty when the id has no "/name"

  std::string ToString() const { return name.empty() ? type : type + "/" + name; }
  auto operator<=>(const ComponentId&) const = default;

  // Checks the otelcol rules: type ^[a-zA-Z][0-9a-zA-Z_]{0,62}$; name 1..1024
  // characters without whitespace or control characters; no empty side of '/'.
  // Returns nullopt and sets *why on a bad id.
  static std::optional<ComponentId> Parse(std::string_view text, std::string* why);
};

}  // namespace otlpd::config
