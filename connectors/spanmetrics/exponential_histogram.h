#pragma once

#include <cstdint>
#include <vector>

namespace otlpd::connectors::spanmetrics {

// An exponential histogram of non-negative values as lightstep/go-expohisto
// v1.0.0 (structure.Histogram, which contrib's spanmetrics uses) builds it:
// it starts at scale 20 and, when a value would make the populated index range
// span max_size buckets or more, lowers the scale just enough to fit. The
// buckets are kept as a plain vector from `offset`; go-expohisto's ring
// buffer and variable-width counters are storage details that give the same
// counts.
class ExponentialHistogram {
 public:
  explicit ExponentialHistogram(std::int32_t max_size) : max_size_(max_size) {}

  void Update(double value, std::uint64_t incr);

  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double min() const { return min_; }
  double max() const { return max_; }
  std::uint64_t zero_count() const { return zero_count_; }
  // go-expohisto reports scale 0 while every value is zero.
  std::int32_t scale() const { return count_ == zero_count_ ? 0 : scale_; }
  std::int32_t offset() const { return counts_.empty() ? 0 : start_; }
  const std::vector<std::uint64_t>& positive() const { return counts_; }

  // The bucket index of a positive value at `scale` (go-expohisto's mappings).
  static std::int32_t MapToIndex(double value, std::int32_t scale);

 private:
  void Downscale(std::int32_t change);

  std::int32_t max_size_;
  std::int32_t scale_ = 20;
  std::uint64_t count_ = 0;
  std::uint64_t zero_count_ = 0;
  double sum_ = 0;
  double min_ = 0;
  double max_ = 0;
  std::int32_t start_ = 0;  // index of counts_[0]
  std::vector<std::uint64_t> counts_;
};

}  // namespace otlpd::connectors::spanmetrics
