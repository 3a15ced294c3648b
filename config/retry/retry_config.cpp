#include "config/retry/retry_config.h"

#include <algorithm>

namespace otlpd::config {

RetryConfig RetryConfig::Decode(MapDecoder& d, const RetryConfig& defaults) {
  RetryConfig c = defaults;
  d.Optional("enabled", c.enabled);
  d.Optional("initial_interval", c.initial_interval);
  d.Optional("randomization_factor", c.randomization_factor);
  d.Optional("multiplier", c.multiplier);
  d.Optional("max_interval", c.max_interval);
  d.Optional("max_elapsed_time", c.max_elapsed_time);
  d.Finish();
  // otelcol validates the block only when it is enabled; so do we.
  if (!c.enabled) return c;
  if (c.initial_interval.count() < 0) d.Fail("initial_interval", "must be non-negative");
  if (c.randomization_factor < 0 || c.randomization_factor > 1) {
    d.Fail("randomization_factor", "must be within [0, 1]");
  }
  if (c.multiplier < 0) d.Fail("multiplier", "must be non-negative");
  if (c.max_interval.count() < 0) d.Fail("max_interval", "must be non-negative");
  if (c.max_elapsed_time.count() < 0) d.Fail("max_elapsed_time", "must be non-negative");
  if (c.max_elapsed_time.count() > 0) {
    if (c.max_elapsed_time < c.initial_interval) {
      d.Fail("max_elapsed_time", "must not be less than initial_interval");
    }
    if (c.max_elapsed_time < c.max_interval) d.Fail("max_elapsed_time", "must not be less than max_interval");
  }
  return c;
}

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

}  // namespace otlpd::config
