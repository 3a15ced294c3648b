// otelcol's configretry block (`retry_on_failure` of exporters, `retry` of
// resourcedetection) and the exponential backoff it drives. A config package,
// as in otelcol, so that processors and extensions can take it without
// depending on the exporters.
#pragma once

#include <chrono>
#include <functional>

#include "config/decoder.h"

namespace otlpd::config {

// configretry.BackOffConfig: same names; exporters' defaults here, other users
// pass their own defaults to Decode.
struct RetryConfig {
  bool enabled = true;
  std::chrono::nanoseconds initial_interval = std::chrono::seconds(5);
  double randomization_factor = 0.5;
  double multiplier = 1.5;
  std::chrono::nanoseconds max_interval = std::chrono::seconds(30);
  std::chrono::nanoseconds max_elapsed_time = std::chrono::seconds(300);  // 0: retry forever

  static RetryConfig Decode(MapDecoder& d, const RetryConfig& defaults);
};

// The exponential backoff otelcol uses (cenkalti/backoff): each wait is the
// current interval spread by ±randomization_factor, and the interval grows by
// `multiplier` up to `max_interval`. The spread keeps many clients that
// failed together from retrying in lock step.
class ExponentialBackoff {
 public:
  // `random` returns uniform values in [0, 1); tests pass a constant.
  ExponentialBackoff(const RetryConfig& config, std::function<double()> random);

  // The wait before the next attempt.
  std::chrono::nanoseconds Next();

 private:
  const RetryConfig& config_;
  std::function<double()> random_;
  double current_ns_;
};

}  // namespace otlpd::config
