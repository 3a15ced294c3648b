// ASCII text helpers: case folding and trimming for protocol tokens (header
// names, media types, config enum values). ASCII only, on purpose: these
// tokens are ASCII by specification, and std::tolower would depend on the
// process locale. Bytes >= 0x80 pass through unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace otlpd {

constexpr char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char AsciiUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

std::string AsciiLower(std::string_view s);
std::string AsciiUpper(std::string_view s);
void AsciiLowerInPlace(std::string& s);

// Whether `a` and `b` are equal after ASCII case folding.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// HTTP optional whitespace (RFC 9110 OWS): space and horizontal tab.
constexpr bool IsHttpSpace(char c) { return c == ' ' || c == '\t'; }
// ASCII whitespace as C's isspace in the "C" locale (and Go's unicode.IsSpace
// below 0x80, minus U+0085): space, \t, \n, \v, \f, \r.
constexpr bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Bytes as lower-case hexadecimal, two digits each (ids, digests, escapes).
void AppendHexByte(std::string& out, unsigned char byte);
void AppendHexLower(std::string& out, std::string_view bytes);
std::string HexLower(std::string_view bytes);

// Code point `r` as UTF-8 onto `out`, as Go's utf8.AppendRune: a surrogate
// (U+D800..U+DFFF) or a value above U+10FFFF becomes U+FFFD.
void AppendUtf8(std::string& out, std::uint32_t r);

// The length of the valid UTF-8 sequence that `s` starts with (its first byte
// >= 0x80), 0 when it is invalid: overlong forms, surrogates and code points
// past U+10FFFF are invalid, as in Go's utf8.DecodeRuneInString.
std::size_t Utf8SequenceLength(std::string_view s);

// The width a UTF-8 lead byte announces (1 to 4), without checking what
// follows: how far a loop over runes steps when it need not validate.
constexpr std::size_t Utf8LeadWidth(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

// The value of hexadecimal digit `c` (either case), -1 for anything else.
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A cursor over ASCII text, for hand-written number grammars (YAML floats,
// JSON numbers).
struct AsciiScanner {
  std::string_view s;
  std::size_t i = 0;

  bool AtEnd() const { return i == s.size(); }
  // Steps over the next character when it is one of `set`.
  bool TakeAny(std::string_view set) {
    if (i < s.size() && set.find(s[i]) != std::string_view::npos) {
      ++i;
      return true;
    }
    return false;
  }
  // Steps over a run of [0-9]; returns its length.
  std::size_t Digits() {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  }
  // ([eE][-+]?[0-9]+)?: false when an exponent starts but has no digits.
  bool OptionalExponent() {
    if (!TakeAny("eE")) return true;
    TakeAny("-+");
    return Digits() != 0;
  }
};

// Hexadecimal text (either case, an even number of digits) as bytes, as Go's
// hex.DecodeString; false, with `out` unspecified, on anything else.
bool DecodeHex(std::string_view hex, std::string& out);

// `s` without leading and trailing space and tab (header values, list items).
std::string_view TrimHttpSpace(std::string_view s);
// `s` without leading and trailing ASCII whitespace.
std::string_view TrimAsciiSpace(std::string_view s);

}  // namespace otlpd
