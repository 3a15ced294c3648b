#pragma once

#include <chrono>
#include <functional>

#include "exporters/exporterhelper/config.h"

namespace otlpd::exporters::exporterhelper {

// The exponential backoff otelcol uses (cenkalti/backoff): each wait is the
// current interval spread by ±randomization_factor, and the interval grows by
// `multiplier` up to `max_interval`. The spread keeps many exporters that
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

}  // namespace otlpd::exporters::exporterhelper
