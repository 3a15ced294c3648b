#include "exporters/loadbalancing/telemetry.h"

namespace otlpd::exporters::loadbalancing {

std::vector<ComponentMetric> LbTelemetry::Collect() const {
  using Type = ComponentMetric::Type;
  auto load = [](const std::atomic<std::uint64_t>& a) {
    return static_cast<double>(a.load(std::memory_order_relaxed));
  };
  std::vector<ComponentMetric> out;
  ComponentMetric resolutions{
      "otelcol_loadbalancer_num_resolutions",
      "Number of times the resolver has triggered new resolutions.",
      "{resolutions}",
      Type::kCounter,
      {{{{"resolver", resolver}, {"success", "true"}}, load(resolutions_ok), {}, {}, 0}}};
  // The static resolver cannot fail: contrib never records a failure for it.
  if (resolver != "static") {
    resolutions.points.push_back(
        {{{"resolver", resolver}, {"success", "false"}}, load(resolutions_failed), {}, {}, 0});
  }
  out.push_back(std::move(resolutions));
  out.push_back({"otelcol_loadbalancer_num_backends",
                 "Current number of backends in use.",
                 "{backends}",
                 Type::kGauge,
                 {{{{"resolver", resolver}}, load(num_backends), {}, {}, 0}}});
  out.push_back({"otelcol_loadbalancer_num_backend_updates",
                 "Number of times the list of backends was updated.",
                 "{updates}",
                 Type::kCounter,
                 {{{{"resolver", resolver}}, load(backend_updates), {}, {}, 0}}});
  ComponentMetric latency{"otelcol_loadbalancer_backend_latency",
                          "Response latency in ms for the backends.",
                          "ms",
                          Type::kHistogram,
                          {}};
  ComponentMetric outcome{"otelcol_loadbalancer_backend_outcome",
                          "Number of successes and failures for each endpoint.",
                          "{outcomes}",
                          Type::kCounter,
                          {}};
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [endpoint, b] : backends_) {
      ComponentMetric::Point p;
      p.attributes = {{"endpoint", endpoint}};
      p.bounds = b->latency.bounds();
      p.buckets = b->latency.BucketCounts();
      p.sum = static_cast<double>(b->latency.sum());
      latency.points.push_back(std::move(p));
      outcome.points.push_back({{{"endpoint", endpoint}, {"success", "true"}}, load(b->ok), {}, {}, 0});
      outcome.points.push_back({{{"endpoint", endpoint}, {"success", "false"}}, load(b->failed), {}, {}, 0});
    }
  }
  out.push_back(std::move(latency));
  out.push_back(std::move(outcome));
  return out;
}

}  // namespace otlpd::exporters::loadbalancing
