// OTEP 235 sampling arithmetic as otelcol-contrib's pkg/sampling does it:
// 56-bit thresholds and randomness, their hex encodings (th / rv), the
// probability conversion, and the legacy FNV hash_seed randomness.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otlpd::processors::probabilistic_sampler {

inline constexpr std::uint64_t kMaxAdjustedCount = std::uint64_t{1} << 56;
inline constexpr int kNumHexDigits = 14;
inline constexpr double kMinSamplingProbability = 1.0 / static_cast<double>(kMaxAdjustedCount);

// The number of randomness values (out of 2^56) that are rejected: an item is
// kept iff threshold <= randomness. 0 keeps everything, 2^56 nothing.
struct Threshold {
  std::uint64_t value = 0;
  friend bool operator==(Threshold, Threshold) = default;
};

// 56 random bits, from a tracestate rv, the trace id, or a hash.
struct Randomness {
  std::uint64_t value = 0;
  friend bool operator==(Randomness, Randomness) = default;
};

inline constexpr Threshold kAlwaysSample{0};
inline constexpr Threshold kNeverSample{kMaxAdjustedCount};
inline constexpr Randomness kAllProbabilitiesRandomness{kMaxAdjustedCount - 1};

inline bool ShouldSample(Threshold t, Randomness r) { return t.value <= r.value; }

// A hex threshold or randomness as written in a tracestate (at most 14 digits).
class HexValue {
 public:
  HexValue() = default;
  explicit HexValue(std::string_view s) : size_(static_cast<std::uint8_t>(s.size())) {
    for (std::size_t i = 0; i < s.size() && i < sizeof(chars_); ++i) chars_[i] = s[i];
  }
  std::string_view view() const { return {chars_, size_}; }
  bool empty() const { return size_ == 0; }

 private:
  char chars_[kNumHexDigits] = {};
  std::uint8_t size_ = 0;
};

// `th` value -> threshold: 1..14 hex digits, trailing zeros implied. nullopt
// on anything else (empty, too long, not hex), like TValueToThreshold.
std::optional<Threshold> ParseThreshold(std::string_view tvalue);
// Threshold -> `th` value: "0" for always, "" for never, otherwise the 14
// hex digits with trailing zeros removed.
HexValue ThresholdHex(Threshold t);

// `rv` value -> randomness: exactly 14 hex digits (either case).
std::optional<Randomness> ParseRandomness(std::string_view rvalue);
// Randomness -> 14 lower-case hex digits.
HexValue RandomnessHex(Randomness r);

// The sampling probability a threshold stands for.
inline double Probability(Threshold t) {
  return static_cast<double>(kMaxAdjustedCount - t.value) / static_cast<double>(kMaxAdjustedCount);
}

// Probability -> threshold rounded to `precision` hex digits (more near 0 and
// 1, as pkg/sampling adds digits to keep relative error); 0 means 14.
// nullopt when the probability is outside [2^-56, 1].
std::optional<Threshold> ProbabilityToThreshold(double fraction, int precision);

// The W3C randomness of a trace id: its low 56 bits (big-endian).
Randomness TraceIdRandomness(std::string_view trace_id);

// FNV-1a 32 over the seed's 4 little-endian bytes, then `bytes`.
std::uint32_t HashSeedFnv(std::string_view bytes, std::uint32_t seed);

// The hash_seed mode's randomness: the 14-bit bucket re-expressed so that
// "bucket < accept threshold" becomes "threshold <= randomness"; the other
// 42 bits are filled from the unused hash bits.
Randomness HashSeedRandomness(std::string_view bytes, std::uint32_t seed);

inline constexpr std::uint32_t kNumHashBuckets = 0x4000;  // 14 bits

}  // namespace otlpd::processors::probabilistic_sampler
