#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace otlpd::config {

// The otelcol feature gates (`--feature-gates`) that change what otlpd does.
struct FeatureGates {
  // `service.profilesSupport` (alpha, off by default): allows `profiles`
  // pipelines. Without it otelcol refuses them in config validation.
  bool profiles_support = false;
};

inline constexpr std::string_view kProfilesSupportGate = "service.profilesSupport";

// Applies one --feature-gates value as otelcol reads it: comma-separated gate
// ids, each optionally prefixed `+` (enable, as no prefix) or `-` (disable).
// Gates otlpd has no use for are appended to `ignored` (otelcol's other gates
// are accepted for compatibility). False with `error` set on an empty id.
bool ApplyFeatureGates(std::string_view list, FeatureGates& gates, std::vector<std::string>& ignored,
                       std::string& error);

}  // namespace otlpd::config
