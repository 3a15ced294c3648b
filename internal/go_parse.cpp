#include "internal/go_parse.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "internal/text.h"

namespace otlpd {
namespace {

bool IsDigit(char c, bool hex) {
  return (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
}

// strconv's underscoreOK: `_` only between digits (a base prefix counts as one).
bool UnderscoreOk(std::string_view s) {
  char saw = '^';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  std::size_t i = 0;
  if (s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'b' || p == 'o' || p == 'x') {
      i = 2;
      saw = '0';
      hex = p == 'x';
    }
  }
  for (; i < s.size(); ++i) {
    if (IsDigit(s[i], hex)) {
      saw = '0';
      continue;
    }
    if (s[i] == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

}  // namespace

std::optional<std::int64_t> GoParseInt(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::size_t i = 0;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return std::nullopt;
  unsigned __int128 n = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    n = n * 10 + static_cast<unsigned>(s[i] - '0');
    if (n > (static_cast<unsigned __int128>(1) << 63)) return std::nullopt;
  }
  if (!neg && n == (static_cast<unsigned __int128>(1) << 63)) return std::nullopt;
  return neg ? static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(n)) : static_cast<std::int64_t>(n);
}

std::optional<double> GoParseFloat(std::string_view s) {
  std::string_view body = s;
  bool negative = false;
  bool has_sign = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    has_sign = true;
    body.remove_prefix(1);
  }
  if (EqualsIgnoreCase(body, "inf") || EqualsIgnoreCase(body, "infinity")) {
    return negative ? -HUGE_VAL : HUGE_VAL;
  }
  if (EqualsIgnoreCase(body, "nan")) {
    if (has_sign) return std::nullopt;
    return std::nan("");
  }
  bool hex = body.size() > 2 && body[0] == '0' && (body[1] | 0x20) == 'x';
  std::size_t i = hex ? 2 : 0;
  bool digits = false;
  bool dot = false;
  bool underscores = false;
  for (; i < body.size(); ++i) {
    char c = body[i];
    if (c == '_') {
      underscores = true;
    } else if (c == '.') {
      if (dot) break;
      dot = true;
    } else if (IsDigit(c, hex)) {
      digits = true;
    } else {
      break;
    }
  }
  if (!digits) return std::nullopt;
  char exp_char = hex ? 'p' : 'e';
  if (i < body.size() && (body[i] | 0x20) == exp_char) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    bool exp_digits = false;
    for (; i < body.size(); ++i) {
      if (body[i] == '_') {
        underscores = true;
      } else if (body[i] >= '0' && body[i] <= '9') {
        exp_digits = true;
      } else {
        break;
      }
    }
    if (!exp_digits) return std::nullopt;
  } else if (hex) {
    return std::nullopt;  // Go requires the p exponent in a hexadecimal float
  }
  if (i != body.size()) return std::nullopt;
  if (underscores && !UnderscoreOk(s)) return std::nullopt;
  std::string clean;
  clean.reserve(s.size());
  for (char c : s) {
    if (c != '_') clean += c;
  }
  double v = std::strtod(clean.c_str(), nullptr);
  if (std::isinf(v)) return std::nullopt;  // overflow: Go answers ErrRange
  return v;
}

}  // namespace otlpd
