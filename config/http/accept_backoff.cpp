#include "config/http/accept_backoff.h"

#include <algorithm>

namespace otlpd::http {

AcceptBackoff::Step AcceptBackoff::Failed(const std::string& reason, Clock::time_point now) {
  ++failures_;
  ++unlogged_;
  delay_ = delay_.count() == 0 ? kFirstDelay : std::min(kMaxDelay, delay_ * 2);
  Step step{delay_, {}};
  if (!logged_ || now - last_log_ >= kLogInterval) {
    step.log = who_ + ": accept failed: " + reason + " (" + std::to_string(unlogged_) +
               (unlogged_ == 1 ? " failure" : " failures") + " since the last report; retrying in up to " +
               std::to_string(kMaxDelay.count()) + " ms)";
    logged_ = true;
    last_log_ = now;
    unlogged_ = 0;
  }
  return step;
}

std::string AcceptBackoff::Succeeded() {
  if (delay_.count() == 0) return {};
  delay_ = std::chrono::milliseconds{0};
  if (!logged_) return {};
  logged_ = false;
  const std::string line = who_ + ": accepting connections again";
  unlogged_ = 0;
  return line;
}

}  // namespace otlpd::http
