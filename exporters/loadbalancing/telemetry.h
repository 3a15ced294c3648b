// The loadbalancing exporter's own metrics, named as contrib's metadata.yaml
// (otelcol_ prefix added where they are published).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

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
  // loadbalancer_backend_outcome{success}
  std::atomic<std::uint64_t> outcome_ok{0};
  std::atomic<std::uint64_t> outcome_failed{0};

  // loadbalancer_backend_latency{endpoint}, one histogram per endpoint ever used.
  Histogram& Latency(const std::string& endpoint) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = latency.find(endpoint);
    if (it == latency.end())
      it = latency.emplace(endpoint, std::make_unique<Histogram>(kBackendLatencyBounds)).first;
    return *it->second;
  }

  std::mutex mu;
  std::map<std::string, std::unique_ptr<Histogram>> latency;
};

}  // namespace otlpd::exporters::loadbalancing
