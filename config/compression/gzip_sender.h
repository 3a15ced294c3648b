#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/compression/compressor.h"
#include "internal/signal.h"
#include "internal/status.h"

namespace otlpd::config::compression {

// Makes an exporter's gzip request bodies. With compression_params.level
// unset, the output is the cheapest of three ways whose size stays within
// kTolerance of the default level-6 gzip (what otelcol sends):
//   1. the senders' own gzip passed on (JoinGzipMembers): no compressing;
//   2. libdeflate's fastest level, 1: about 2.3 times level 6's speed;
//   3. level 6.
// Which ways qualify is measured, per signal, on every kSampleEvery-th body
// (the first included): all three are made and the smallest is sent. Passing
// on pays off for large requests (500 spans: 3% over level 6 in the bench's
// data) and is far off for small ones, whose batch compresses much better
// than its requests did one by one (20 spans: 4.8 times); level 1 is as good
// as level 6 on some data (the bench's spans: +1.5%) and not on other (its
// metrics: +28%). An explicit level is always used as it is. Thread-safe.
class GzipSender {
 public:
  static constexpr double kTolerance = 0.05;
  static constexpr std::uint32_t kSampleEvery = 32;

  // `level`: compression_params.level as configured, 0 when unset.
  explicit GzipSender(int level);

  // The gzip of `bytes`, a request of `signal`; `senders_gzip`: the
  // payload's gzip (Payload::gzip, may be empty).
  Result<std::string> Gzip(Signal signal, std::string_view bytes, std::string_view senders_gzip);

  // The level bodies of `signal` are compressed at until the next
  // measurement, when they are not passed on (pass_on).
  enum class Way : std::uint8_t { kDefault, kFast };  // zero (kDefault) until measured
  Way way(Signal signal) const { return ways_[SignalIndex(signal)].load(std::memory_order_relaxed); }
  // Whether passing on qualified at the last measurement (used when a body
  // comes with its senders' gzip; one without falls back to kFast or kDefault).
  bool pass_on(Signal signal) const { return pass_on_[SignalIndex(signal)].load(std::memory_order_relaxed); }

 private:
  Result<std::string> Measure(Signal signal, std::string_view bytes, std::string_view senders_gzip);

  const bool adaptive_;
  CompressorPool configured_;
  CompressorPool fast_;
  std::array<std::atomic<std::uint32_t>, kSignalCount> sends_{};
  std::array<std::atomic<Way>, kSignalCount> ways_{};
  std::array<std::atomic<bool>, kSignalCount> pass_on_{};
};

}  // namespace otlpd::config::compression
