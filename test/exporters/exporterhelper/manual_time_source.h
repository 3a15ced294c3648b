#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>
#include <vector>

#include "exporters/exporterhelper/time_source.h"

namespace otlpd::test {

// A clock that only moves when someone sleeps on it: a sleep jumps straight
// to its end and is recorded, so a retry schedule of minutes runs at once
// and can be read back exactly.
class ManualTimeSource : public exporters::exporterhelper::TimeSource {
 public:
  Clock::time_point Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void SleepUntil(Clock::time_point until, const std::function<bool()>& interrupted) override {
    if (interrupted()) return;
    std::lock_guard<std::mutex> lock(mu_);
    sleeps_.push_back(until - now_);
    now_ = std::max(now_, until);
  }
  void Interrupt() override {}

  void Advance(Clock::duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
  }
  std::vector<std::chrono::nanoseconds> sleeps() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }

 private:
  mutable std::mutex mu_;
  Clock::time_point now_{std::chrono::hours(1)};
  std::vector<std::chrono::nanoseconds> sleeps_;
};

}  // namespace otlpd::test
