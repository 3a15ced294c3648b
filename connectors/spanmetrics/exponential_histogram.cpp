#include "connectors/spanmetrics/exponential_histogram.h"

#include <cmath>
#include <limits>

namespace otlpd::connectors::spanmetrics {
namespace {

constexpr int kMinNormalExponent = -1022;
constexpr int kMaxNormalExponent = 1023;

// The unbiased base-2 exponent of a normal double, and whether its
// significand bits are all zero (an exact power of two).
int NormalBase2(double v) {
  int e = 0;
  std::frexp(v, &e);
  return e - 1;
}
bool ExactPowerOfTwo(double v) {
  int e = 0;
  return std::frexp(v, &e) == 0.5;
}

}  // namespace

std::int32_t ExponentialHistogram::MapToIndex(double value, std::int32_t scale) {
  const double min_value = std::numeric_limits<double>::min();  // 0x1p-1022
  if (scale <= 0) {
    // exponent mapping
    const std::int32_t shift = -scale;
    if (value < min_value) return static_cast<std::int32_t>(kMinNormalExponent) >> shift;
    const std::int32_t exp = NormalBase2(value) - (ExactPowerOfTwo(value) ? 1 : 0);
    return exp >> shift;
  }
  // logarithm mapping
  const std::int32_t min_index = static_cast<std::int32_t>(kMinNormalExponent) << scale;
  const std::int32_t max_index = (static_cast<std::int32_t>(kMaxNormalExponent + 1) << scale) - 1;
  if (value <= min_value) return min_index - 1;
  if (ExactPowerOfTwo(value)) return (NormalBase2(value) << scale) - 1;
  const double scale_factor = std::ldexp(1.4426950408889634073599246810018921, scale);  // log2(e) * 2^scale
  const auto index = static_cast<std::int32_t>(std::floor(std::log(value) * scale_factor));
  return index >= max_index ? max_index : index;
}

void ExponentialHistogram::Downscale(std::int32_t change) {
  if (change <= 0) return;
  scale_ -= change;
  if (counts_.empty()) return;
  const std::int32_t new_start = start_ >> change;
  const std::int32_t new_end = (start_ + static_cast<std::int32_t>(counts_.size()) - 1) >> change;
  std::vector<std::uint64_t> merged(static_cast<std::size_t>(new_end - new_start + 1), 0);
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    const std::int32_t index = (start_ + static_cast<std::int32_t>(i)) >> change;
    merged[static_cast<std::size_t>(index - new_start)] += counts_[i];
  }
  counts_ = std::move(merged);
  start_ = new_start;
}

void ExponentialHistogram::Update(double value, std::uint64_t incr) {
  if (count_ == 0) {
    min_ = max_ = value;
  } else {
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }
  count_ += incr;
  if (value == 0) {
    zero_count_ += incr;
    return;
  }
  sum_ += value * static_cast<double>(incr);
  if (incr == 0) return;
  std::int32_t index = MapToIndex(value, scale_);
  if (!counts_.empty()) {
    const std::int32_t end = start_ + static_cast<std::int32_t>(counts_.size()) - 1;
    std::int32_t low = start_;
    std::int32_t high = end;
    if (index < start_ && end - index >= max_size_) low = index;
    if (index > end && index - start_ >= max_size_) high = index;
    if (low != start_ || high != end) {
      std::int32_t change = 0;
      while (high - low >= max_size_) {
        high >>= 1;
        low >>= 1;
        ++change;
      }
      Downscale(change);
      index = MapToIndex(value, scale_);
    }
  }
  if (counts_.empty()) {
    start_ = index;
    counts_.assign(1, 0);
  } else if (index < start_) {
    counts_.insert(counts_.begin(), static_cast<std::size_t>(start_ - index), 0);
    start_ = index;
  } else if (index >= start_ + static_cast<std::int32_t>(counts_.size())) {
    counts_.resize(static_cast<std::size_t>(index - start_ + 1), 0);
  }
  counts_[static_cast<std::size_t>(index - start_)] += incr;
}

}  // namespace otlpd::connectors::spanmetrics
