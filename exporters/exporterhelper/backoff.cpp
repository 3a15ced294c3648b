#include "exporters/exporterhelper/backoff.h"

#include <algorithm>

namespace otlpd::exporters::exporterhelper {

ExponentialBackoff::ExponentialBackoff(const RetryConfig& config, std::function<double()> random)
    : config_(config),
      random_(std::move(random)),
      current_ns_(static_cast<double>(config.initial_interval.count())) {}

std::chrono::nanoseconds ExponentialBackoff::Next() {
  const double delta = config_.randomization_factor * current_ns_;
  const double low = current_ns_ - delta;
  const double wait = low + random_() * (2 * delta);
  const double max = static_cast<double>(config_.max_interval.count());
  // Compare before multiplying so a huge interval cannot overflow.
  if (config_.multiplier > 0 && current_ns_ >= max / config_.multiplier) {
    current_ns_ = max;
  } else {
    current_ns_ *= config_.multiplier;
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::max(0.0, wait)));
}

}  // namespace otlpd::exporters::exporterhelper
