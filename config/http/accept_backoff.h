#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace otlpd::http {

// What a server does when accept() fails (EMFILE, ENFILE, ENOBUFS, ...): the
// listening socket stays readable, so accepting again at once spins a CPU and
// logging each failure floods the log. Instead the next accept waits, from
// kFirstDelay doubling to kMaxDelay, and a failure is logged at most once per
// kLogInterval with the number of failures since. Not thread-safe: one per
// acceptor, used on its strand.
class AcceptBackoff {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kFirstDelay{5};
  static constexpr std::chrono::milliseconds kMaxDelay{1000};
  static constexpr std::chrono::seconds kLogInterval{10};

  struct Step {
    std::chrono::milliseconds delay;  // before the next accept
    std::string log;                  // a warning to write, or empty
  };

  // `who` names the server in messages ("receiver otlp: OTLP/HTTP").
  explicit AcceptBackoff(std::string who) : who_(std::move(who)) {}

  // `reason` is the error's message. A string, not an error_code: converting
  // Boost.Asio's error_code to std::error_code trips UBSan's vptr check in
  // Boost 1.74 (std_category), and the message is all that is logged.
  Step Failed(const std::string& reason, Clock::time_point now = Clock::now());
  // An accept worked: the delay starts over; returns a line saying accepting
  // works again when a failure was logged, else empty.
  std::string Succeeded();

  std::uint64_t failures() const { return failures_; }

 private:
  std::string who_;
  std::chrono::milliseconds delay_{0};
  Clock::time_point last_log_{};
  bool logged_ = false;
  std::uint64_t unlogged_ = 0;  // failures since the last line written
  std::uint64_t failures_ = 0;  // in all
};

}  // namespace otlpd::http
