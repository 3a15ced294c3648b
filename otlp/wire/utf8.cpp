#include "otlp/wire/utf8.h"

#include <simdjson.h>

#include <cstdint>
#include <cstring>

namespace otlpd::wire {

bool IsValidUtf8Slow(std::string_view s) {
  // Long non-ASCII text (log bodies in other scripts): simdjson's validator
  // checks a vector of bytes per step, several times the loop below. Below
  // this size its call and set-up cost more than the loop.
  constexpr std::size_t kVectorFrom = 64;
  if (s.size() >= kVectorFrom) return simdjson::validate_utf8(s.data(), s.size());
  return IsValidUtf8Scalar(s);
}

bool IsValidUtf8Scalar(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* end = p + s.size();
  while (p != end) {
    // Attribute keys and most values are ASCII: check 8 bytes per step.
    while (end - p >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      if (word & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p == end) break;
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    // Ranges from the Unicode standard, table 3-7 (well-formed byte sequences).
    if (c >= 0xC2 && c <= 0xDF) {
      if (end - p < 2 || (p[1] & 0xC0) != 0x80) return false;
      p += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (end - p < 3) return false;
      unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;  // below: overlong
      unsigned char hi = c == 0xED ? 0x9F : 0xBF;  // above: surrogates
      if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80) return false;
      p += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (end - p < 4) return false;
      unsigned char lo = c == 0xF0 ? 0x90 : 0x80;  // below: overlong
      unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;  // above: past U+10FFFF
      if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return false;
      p += 4;
    } else {
      return false;  // continuation byte without a lead, C0/C1 overlong leads, F5..FF
    }
  }
  return true;
}

}  // namespace otlpd::wire
