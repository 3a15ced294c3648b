#include "processors/probabilistic_sampler/sampling.h"
#include "internal/text.h"

#include <algorithm>
#include <cmath>

namespace otlpd::processors::probabilistic_sampler {
namespace {

// Go's shifts of a uint64 by 64 or more give 0; C++'s are undefined.
std::uint64_t Shl(std::uint64_t x, int n) { return n >= 64 ? 0 : x << n; }
std::uint64_t Shr(std::uint64_t x, int n) { return n >= 64 ? 0 : x >> n; }

// strconv.ParseUint(s, 16, 64) for at most 14 digits: digits only, no sign,
// prefix or underscore.
std::optional<std::uint64_t> ParseHex(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    int d = HexDigitValue(c);
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}

void FormatHex14(std::uint64_t v, char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = kNumHexDigits - 1; i >= 0; --i) {
    out[i] = kDigits[v & 0xF];
    v >>= 4;
  }
}

}  // namespace

std::optional<Threshold> ParseThreshold(std::string_view tvalue) {
  if (tvalue.size() > static_cast<std::size_t>(kNumHexDigits) || tvalue.empty()) return std::nullopt;
  std::optional<std::uint64_t> v = ParseHex(tvalue);
  if (!v) return std::nullopt;
  return Threshold{*v << (4 * (kNumHexDigits - static_cast<int>(tvalue.size())))};
}

HexValue ThresholdHex(Threshold t) {
  if (t == kAlwaysSample) return HexValue("0");
  if (t.value >= kMaxAdjustedCount) return HexValue();
  char digits[kNumHexDigits];
  FormatHex14(t.value, digits);
  std::size_t n = kNumHexDigits;
  while (n > 0 && digits[n - 1] == '0') --n;
  return HexValue(std::string_view(digits, n));
}

std::optional<Randomness> ParseRandomness(std::string_view rvalue) {
  if (rvalue.size() != static_cast<std::size_t>(kNumHexDigits)) return std::nullopt;
  std::optional<std::uint64_t> v = ParseHex(rvalue);
  if (!v) return std::nullopt;
  return Randomness{*v};
}

HexValue RandomnessHex(Randomness r) {
  if (r.value >= kMaxAdjustedCount) return HexValue();
  char digits[kNumHexDigits];
  FormatHex14(r.value, digits);
  return HexValue(std::string_view(digits, kNumHexDigits));
}

std::optional<Threshold> ProbabilityToThreshold(double fraction, int precision) {
  if (precision == 0) precision = kNumHexDigits;
  if (!(fraction >= kMinSamplingProbability && fraction <= 1)) return std::nullopt;
  if (fraction == 1) return kAlwaysSample;
  // Leading hex 0s (or fs) carry no information, so each one costs a digit
  // of precision; pkg/sampling adds them back from the binary exponents.
  int exp_f = 0;
  int exp_r = 0;
  std::frexp(fraction, &exp_f);
  std::frexp(1 - fraction, &exp_r);
  precision = std::min(kNumHexDigits, std::max(precision + exp_f / -4, precision + exp_r / -4));

  auto scaled = static_cast<std::uint64_t>(std::round(fraction * static_cast<double>(kMaxAdjustedCount)));
  std::uint64_t threshold = kMaxAdjustedCount - scaled;
  if (int shift = 4 * (kNumHexDigits - precision); shift != 0) {
    threshold += Shl(1, shift - 1);
    threshold = Shr(threshold, shift);
    threshold = Shl(threshold, shift);
  }
  return Threshold{threshold};
}

Randomness TraceIdRandomness(std::string_view trace_id) {
  std::uint64_t low = 0;
  if (trace_id.size() == 16) {
    for (std::size_t i = 8; i < 16; ++i) low = (low << 8) | static_cast<std::uint8_t>(trace_id[i]);
  }
  return Randomness{low & (kMaxAdjustedCount - 1)};
}

std::uint32_t HashSeedFnv(std::string_view bytes, std::uint32_t seed) {
  std::uint32_t h = 2166136261u;
  auto mix = [&h](std::uint8_t b) {
    h ^= b;
    h *= 16777619u;
  };
  for (int i = 0; i < 4; ++i) mix(static_cast<std::uint8_t>(seed >> (8 * i)));
  for (char c : bytes) mix(static_cast<std::uint8_t>(c));
  return h;
}

Randomness HashSeedRandomness(std::string_view bytes, std::uint32_t seed) {
  std::uint32_t hashed32 = HashSeedFnv(bytes, seed);
  std::uint64_t bucket = hashed32 & (kNumHashBuckets - 1);
  std::uint64_t rprime14 = kNumHashBuckets - 1 - bucket;
  // Named as in otelcol ("unused18"), though the shift keeps the top 14 bits.
  std::uint64_t unused = hashed32 >> (32 - 14);
  std::uint64_t mixed28 = unused ^ (unused << 10);
  return Randomness{(rprime14 << 42) | (mixed28 << 14) | bucket};
}

}  // namespace otlpd::processors::probabilistic_sampler
