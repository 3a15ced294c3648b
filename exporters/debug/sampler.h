#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "component/component.h"
#include "internal/signal.h"

namespace otlpd::exporters::debug {

// zap's log sampler (zapcore.NewSamplerWithOptions), which otelcol's debug
// exporter runs with a one-second tick: per key and tick, the first `initial`
// messages pass, then every `thereafter`-th one (thereafter 0: none). A tick
// begins at the first message after the previous tick ended, not on
// wall-clock second boundaries. zap keys by message text, and otelcol's
// summary messages are "Traces", "Metrics" and "Logs", so the key here is the
// signal.
class Sampler {
 public:
  Sampler(int initial, int thereafter, Clock::duration tick = std::chrono::seconds(1));

  // Counts one message and says whether to write it. Not thread-safe: the
  // exporter calls it under its lock.
  bool Sample(Signal key, Clock::time_point now);

 private:
  struct Counter {
    Clock::time_point reset_at = Clock::time_point::min();
    std::uint64_t count = 0;
  };

  std::uint64_t initial_;
  std::uint64_t thereafter_;
  Clock::duration tick_;
  std::array<Counter, kSignalCount> counters_{};
};

}  // namespace otlpd::exporters::debug
