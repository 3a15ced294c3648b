// The loadbalancing exporter's own metrics, named as contrib's metadata.yaml
// (otelcol_ prefix added where they are published).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "component/telemetry.h"

namespace otlpd::exporters::loadbalancing {

// contrib's bucket bounds for loadbalancer_backend_latency (ms).
inline constexpr std::uint64_t kBackendLatencyBounds[] = {5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};

struct LbTelemetry {
  std::string resolver;  // static | dns | k8s
  // loadbalancer_num_resolutions{resolver, success}
  std::atomic<std::uint64_t> resolutions_ok{0};
  std::atomic<std::uint64_t> resolutions_failed{0};
  std::atomic<std::uint64_t> num_backends{0};     // loadbalancer_num_backends{resolver} (gauge)
  std::atomic<std::uint64_t> backend_updates{0};  // loadbalancer_num_backend_updates{resolver}

  // Per backend endpoint: loadbalancer_backend_latency{endpoint} and
  // loadbalancer_backend_outcome{endpoint, success} (contrib's metadata
  // lists only `success`, but its code records the endpoint with it).
  struct Backend {
    Histogram latency{kBackendLatencyBounds};
    std::atomic<std::uint64_t> ok{0};
    std::atomic<std::uint64_t> failed{0};
  };
  Backend& For(const std::string& endpoint) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = backends_.find(endpoint);
    if (it == backends_.end()) it = backends_.emplace(endpoint, std::make_unique<Backend>()).first;
    return *it->second;
  }
  std::uint64_t outcomes(bool success) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::uint64_t n = 0;
    for (const auto& [e, b] : backends_) n += (success ? b->ok : b->failed).load(std::memory_order_relaxed);
    return n;
  }

  // The instruments as the self-telemetry reads them (otelcol_ names).
  std::vector<ComponentMetric> Collect() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Backend>> backends_;
};

}  // namespace otlpd::exporters::loadbalancing
