#include "config/feature_gates.h"

namespace otlpd::config {

bool ApplyFeatureGates(std::string_view list, FeatureGates& gates, std::vector<std::string>& ignored,
                       std::string& error) {
  if (list.empty()) return true;
  while (true) {
    const std::size_t comma = list.find(',');
    std::string_view id = list.substr(0, comma);
    bool enable = true;
    if (!id.empty() && (id.front() == '+' || id.front() == '-')) {
      enable = id.front() == '+';
      id.remove_prefix(1);
    }
    if (id.empty()) {
      error = "--feature-gates: empty feature gate id";
      return false;
    }
    if (id == kProfilesSupportGate) {
      gates.profiles_support = enable;
    } else {
      ignored.emplace_back(id);
    }
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace otlpd::config
