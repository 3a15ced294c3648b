// Pieces shared by bench_loadgen and bench_sink: the item id scheme, a latency
// histogram and a few JSON helpers. Header-only: two small programs use it.
#pragma once

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "internal/signal.h"

namespace otlpd::bench {

// Item ids: the load generator numbers every item it sends 1, 2, 3, ... and
// writes the number where the sink can find it after any collector:
//   spans, log records: span_id = the number, 8 bytes big-endian;
//   metric data points: start_time_unix_nano = the number.
// It writes its send time (CLOCK_REALTIME, ns) into start_time_unix_nano of
// spans, time_unix_nano of log records and of data points, so the sink can
// measure the latency the collector added without a shared clock protocol.
inline std::uint64_t RealtimeNs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// splitmix64: turns item numbers into trace ids that look random, so hash
// based samplers see a realistic spread.
constexpr std::uint64_t Mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline std::uint64_t ReadBigEndian64(std::string_view bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < bytes.size(); ++i) v = (v << 8) | static_cast<std::uint8_t>(bytes[i]);
  return v;
}

inline void WriteBigEndian64(char* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
}

// Log-linear histogram of microseconds: 32 sub-buckets per power of two, so
// a reported percentile is within ~3% of the true one, in a few KiB.
class LatencyHistogram {
 public:
  static constexpr int kSub = 32;

  void Record(std::uint64_t micros) {
    std::size_t i = Index(micros);
    if (i >= counts_.size()) counts_.resize(i + 1, 0);
    ++counts_[i];
    ++count_;
    sum_ += micros;
    max_ = std::max(max_, micros);
  }

  void Merge(const LatencyHistogram& other) {
    if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size(), 0);
    for (std::size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    max_ = std::max(max_, other.max_);
  }

  void Clear() { *this = LatencyHistogram(); }

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }

  // The value below which `q` (0..1) of the recorded values lie: the middle of its bucket.
  double Quantile(double q) const {
    if (count_ == 0) return 0.0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        double lo = static_cast<double>(LowerBound(i));
        double hi = static_cast<double>(LowerBound(i + 1));
        return std::min((lo + hi) / 2.0, static_cast<double>(max_));
      }
    }
    return static_cast<double>(max_);
  }

  // {"count":..,"p50_ms":..,...}: milliseconds, as the harness reports them.
  std::string Json() const {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  R"({"count":%llu,"mean_ms":%.3f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f})",
                  static_cast<unsigned long long>(count_), mean() / 1e3, Quantile(0.50) / 1e3,
                  Quantile(0.90) / 1e3, Quantile(0.99) / 1e3, static_cast<double>(max_) / 1e3);
    return buf;
  }

 private:
  static std::size_t Index(std::uint64_t v) {
    if (v < kSub) return static_cast<std::size_t>(v);
    int shift = (63 - std::countl_zero(v)) - 5;  // (v >> shift) is in [32, 64)
    return static_cast<std::size_t>(kSub + shift * kSub + static_cast<int>((v >> shift) - kSub));
  }
  static std::uint64_t LowerBound(std::size_t i) {
    if (i < static_cast<std::size_t>(kSub)) return i;
    std::size_t shift = (i - kSub) / kSub;
    std::uint64_t sub = (i - kSub) % kSub + kSub;
    return sub << shift;
  }

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
};

inline std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace otlpd::bench
