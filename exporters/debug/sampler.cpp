#include "exporters/debug/sampler.h"

#include <algorithm>

namespace otlpd::exporters::debug {

Sampler::Sampler(int initial, int thereafter, Clock::duration tick)
    : initial_(static_cast<std::uint64_t>(std::max(initial, 0))),
      thereafter_(static_cast<std::uint64_t>(std::max(thereafter, 0))),
      tick_(tick) {}

bool Sampler::Sample(Signal key, Clock::time_point now) {
  Counter& counter = counters_[SignalIndex(key)];
  if (now >= counter.reset_at) {
    counter.count = 1;
    counter.reset_at = now + tick_;
  } else {
    ++counter.count;
  }
  std::uint64_t n = counter.count;
  if (n <= initial_) return true;
  return thereafter_ != 0 && (n - initial_) % thereafter_ == 0;
}

}  // namespace otlpd::exporters::debug
