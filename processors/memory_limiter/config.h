#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "config/decoder.h"
#include "config/problem.h"

namespace otlpd::processors::memory_limiter {

// The `memory_limiter` processor's options, named and defaulted as otelcol's
// (v0.165). The GC intervals pace malloc_trim(0), our stand-in for Go's
// forced GC; the max_* backoff caps are validated as otelcol does and
// otherwise unused.
struct Config {
  std::chrono::nanoseconds check_interval{0};  // required, > 0
  std::uint32_t limit_mib = 0;                 // hard limit; takes precedence over limit_percentage
  std::uint32_t spike_limit_mib = 0;           // 0: 20% of the limit; soft limit = limit - spike
  std::uint32_t limit_percentage = 0;          // of the cgroup limit, else of total memory
  std::uint32_t spike_limit_percentage = 0;
  std::chrono::nanoseconds min_gc_interval_when_soft_limited = std::chrono::seconds(10);
  std::chrono::nanoseconds min_gc_interval_when_hard_limited{0};
  std::chrono::nanoseconds max_gc_interval_when_soft_limited = std::chrono::seconds(30);
  std::chrono::nanoseconds max_gc_interval_when_hard_limited = std::chrono::seconds(30);

  // Decodes and validates; throws config::Error located at the offending key.
  static Config Decode(config::MapDecoder& d);

  // otelcol's Config.Validate(): the first problem, if any.
  std::optional<config::Problem> Validate() const;
};

}  // namespace otlpd::processors::memory_limiter
