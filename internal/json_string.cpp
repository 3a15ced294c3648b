#include "internal/json_string.h"

#include <cstddef>

namespace otlpd {
namespace {

// Length of the valid UTF-8 sequence at s[i] (a byte >= 0x80), 0 when invalid:
// overlong forms, surrogates and code points past U+10FFFF are invalid, as in
// Go's utf8.DecodeRuneInString.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
  };
  auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return at(k) >= lo && at(k) <= hi;
  };
  const unsigned c = at(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c >= 0xE1 && c <= 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

}  // namespace

void AppendGoJsonString(std::string& out, std::string_view s, JsonHtml html) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool escape_html = html == JsonHtml::kEscape;
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || (escape_html && (c == '<' || c == '>' || c == '&'))) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 15];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const std::size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    const std::string_view rune = s.substr(i, n);
    if (rune == "\xE2\x80\xA8") {
      out += "\\u2028";
    } else if (rune == "\xE2\x80\xA9") {
      out += "\\u2029";
    } else {
      out += rune;
    }
    i += n;
  }
  out += '"';
}

}  // namespace otlpd
