#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>

#include "component/component.h"

namespace otlpd::exporters::exporterhelper {

// The clock and the waits of retry backoff, so tests can run a retry
// schedule of minutes in no time and read back what was waited.
class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual Clock::time_point Now() = 0;
  // Blocks until `until`, or returns early once `interrupted()` holds; it is
  // re-evaluated whenever Interrupt() is called.
  virtual void SleepUntil(Clock::time_point until, const std::function<bool()>& interrupted) = 0;
  // Wakes every sleeper to re-check its `interrupted` (shutdown moved the deadline).
  virtual void Interrupt() = 0;
};

// The real one: the steady clock and a condition variable.
class SteadyTimeSource final : public TimeSource {
 public:
  Clock::time_point Now() override { return Clock::now(); }
  void SleepUntil(Clock::time_point until, const std::function<bool()>& interrupted) override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, until, interrupted);
  }
  void Interrupt() override {
    // Taking the lock orders the caller's state change before any sleeper's
    // next check of `interrupted`, so no wake-up is lost.
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace otlpd::exporters::exporterhelper
