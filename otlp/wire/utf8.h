// UTF-8 validation with protobuf's rules for proto3 `string` fields.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace otlpd::wire {

// For strings with a byte above 0x7F: simdjson's vector check for long ones,
// IsValidUtf8Scalar for short ones.
bool IsValidUtf8Slow(std::string_view s);
// The byte-by-byte check (the same rules; the reference in tests).
bool IsValidUtf8Scalar(std::string_view s);

// True for well-formed UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF),
// nothing above U+10FFFF, no truncated sequences. Those are the sequences
// protobuf's parser rejects in proto3 strings.
//
// Inline, for the ASCII strings that are most of OTLP (attribute keys and
// values, names): a few word-wide loads decide them, the last word
// overlapping the one before, where a byte loop over the tail of every short
// string was a tenth of the receive path's CPU.
[[gnu::always_inline]] inline bool IsValidUtf8(std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
  constexpr std::uint64_t kHigh64 = 0x8080808080808080ull;
  std::uint64_t any = 0;
  if (n >= 8) {
    std::uint64_t w;
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&w, p + i, 8);
      any |= w;
    }
    std::memcpy(&w, p + n - 8, 8);
    any |= w;
  } else if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    any = a | b;
  } else if (n > 0) {
    any = static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[n / 2]) |
          static_cast<unsigned char>(p[n - 1]);
  }
  return (any & kHigh64) == 0 || IsValidUtf8Slow(s);
}

}  // namespace otlpd::wire
