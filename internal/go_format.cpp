#include "internal/go_format.h"

#include <cstdint>

#include <array>
#include <charconv>
#include <cmath>
#include <string_view>

namespace otlpd {
namespace {

// The longest is "-1.7976931348623157e+308".
using ScientificBuffer = std::array<char, 32>;

// to_chars' shortest scientific form of a finite `v`: the same digits Go's
// strconv finds (both are shortest round-trip), and Go's layout of %e
// (at least two exponent digits).
std::string_view Scientific(double v, ScientificBuffer& buf) {
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific);
  return std::string_view(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
}

int DecimalExponent(std::string_view sci) {
  const std::size_t e = sci.find('e');
  const char* first = sci.data() + e + 1;
  if (*first == '+') ++first;  // from_chars takes '-' but not '+'
  int exponent = 0;
  std::from_chars(first, sci.data() + sci.size(), exponent);
  return exponent;
}

// strconv's 'f' with precision -1: the shortest digits laid out in plain
// notation. Not to_chars(fixed), which prints the exact binary value of large
// numbers (123456789012345683968 where Go writes 123456789012345680000).
void AppendPlain(std::string& out, std::string_view sci) {
  std::size_t i = 0;
  if (sci[0] == '-') {
    out += '-';
    i = 1;
  }
  const std::size_t e = sci.find('e');
  std::array<char, 24> digits;
  std::size_t n = 0;
  for (; i < e; ++i) {
    if (sci[i] != '.') digits[n++] = sci[i];
  }
  const int exponent = DecimalExponent(sci);
  const std::string_view all(digits.data(), n);
  if (exponent >= static_cast<int>(n) - 1) {
    out += all;
    out.append(static_cast<std::size_t>(exponent - (static_cast<int>(n) - 1)), '0');
  } else if (exponent >= 0) {
    const auto whole = static_cast<std::size_t>(exponent) + 1;
    out += all.substr(0, whole);
    out += '.';
    out += all.substr(whole);
  } else {
    out += "0.";
    out.append(static_cast<std::size_t>(-exponent - 1), '0');
    out += all;
  }
}

}  // namespace

std::string GoFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  ScientificBuffer buf;
  const std::string_view sci = Scientific(v, buf);
  const int exponent = DecimalExponent(sci);
  if (exponent < -4 || exponent >= 6) return std::string(sci);
  std::string out;
  AppendPlain(out, sci);
  return out;
}

void AppendGoJsonFloat(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += GoFloat(v);
    return;
  }
  ScientificBuffer buf;
  const std::string_view sci = Scientific(v, buf);
  const double magnitude = std::fabs(v);
  if (magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e21)) {
    AppendPlain(out, sci);
    return;
  }
  // encoding/json shortens e-07 to e-7 (and leaves e+21 and e-100 alone).
  const std::size_t n = sci.size();
  if (n >= 4 && sci[n - 4] == 'e' && sci[n - 3] == '-' && sci[n - 2] == '0') {
    out += sci.substr(0, n - 2);
    out += sci[n - 1];
  } else {
    out += sci;
  }
}

std::string GoJsonFloat(double v) {
  std::string out;
  AppendGoJsonFloat(out, v);
  return out;
}

namespace {

// Go's fmtFrac: the `prec` low decimal digits of v as a fraction without
// trailing zeros (".5"), nothing when they are all zero; returns v / 10^prec.
std::uint64_t AppendFrac(std::string& out, std::uint64_t v, int prec) {
  std::string digits;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    const auto digit = static_cast<char>('0' + v % 10);
    print = print || digit != '0';
    if (print) digits.insert(digits.begin(), digit);
    v /= 10;
  }
  if (print) out += "." + digits;
  return v;
}

}  // namespace

std::string GoDuration(std::chrono::nanoseconds d) {
  const std::int64_t n = d.count();
  const bool negative = n < 0;
  std::uint64_t u = negative ? ~static_cast<std::uint64_t>(n) + 1 : static_cast<std::uint64_t>(n);
  if (u == 0) return "0s";
  std::string out;
  if (u < 1000000000) {
    int prec = 0;
    const char* unit = "ns";
    if (u >= 1000000) {
      prec = 6;
      unit = "ms";
    } else if (u >= 1000) {
      prec = 3;
      unit = "\xc2\xb5s";
    }
    std::string frac;
    const std::uint64_t whole = AppendFrac(frac, u, prec);
    out = std::to_string(whole) + frac + unit;
  } else {
    std::string frac;
    u = AppendFrac(frac, u, 9);
    out = std::to_string(u % 60) + frac + "s";
    u /= 60;
    if (u > 0) {
      out = std::to_string(u % 60) + "m" + out;
      u /= 60;
      if (u > 0) out = std::to_string(u) + "h" + out;
    }
  }
  return negative ? "-" + out : out;
}

}  // namespace otlpd
