#include "internal/json_string.h"

#include <cstddef>

#include "internal/text.h"

namespace otlpd {
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
    const std::size_t n = Utf8SequenceLength(s.substr(i));
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
