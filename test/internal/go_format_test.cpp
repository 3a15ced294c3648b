#include "internal/go_format.h"

#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>

using otlpd::AppendGoJsonFloat;
using otlpd::GoFloat;
using otlpd::GoJsonFloat;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::nan("");

// The expected strings below are what Go's strconv.FormatFloat(v, 'g', -1, 64)
// and json.Marshal(v) print for these values (taken from go1.26).

double Parse(const std::string& s) {
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  REQUIRE(r.ec == std::errc());
  REQUIRE(r.ptr == s.data() + s.size());
  return v;
}

}  // namespace

TEST_CASE("GoFloat is strconv.FormatFloat(v, 'g', -1, 64)", "[go_format]") {
  CHECK(GoFloat(0) == "0");
  CHECK(GoFloat(-0.0) == "-0");
  CHECK(GoFloat(1) == "1");
  CHECK(GoFloat(-2) == "-2");
  CHECK(GoFloat(37) == "37");
  CHECK(GoFloat(0.1) == "0.1");
  CHECK(GoFloat(10.125) == "10.125");
  CHECK(GoFloat(1.0 / 3) == "0.3333333333333333");
  // The exponent form starts at 1e+06 and below 1e-04.
  CHECK(GoFloat(123456) == "123456");
  CHECK(GoFloat(1e6) == "1e+06");
  CHECK(GoFloat(1234567) == "1.234567e+06");
  CHECK(GoFloat(1e-4) == "0.0001");
  CHECK(GoFloat(1.5e-5) == "1.5e-05");
  CHECK(GoFloat(1e-7) == "1e-07");
  CHECK(GoFloat(1e21) == "1e+21");
  CHECK(GoFloat(123456789012345678901.0) == "1.2345678901234568e+20");
  CHECK(GoFloat(5e-324) == "5e-324");
  CHECK(GoFloat(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
  CHECK(GoFloat(kNaN) == "NaN");
  CHECK(GoFloat(kInf) == "+Inf");
  CHECK(GoFloat(-kInf) == "-Inf");
}

TEST_CASE("GoJsonFloat is encoding/json's float64", "[go_format]") {
  CHECK(GoJsonFloat(0) == "0");
  CHECK(GoJsonFloat(-0.0) == "-0");
  // Integers as floats: no decimal point, no exponent up to 1e21.
  CHECK(GoJsonFloat(1) == "1");
  CHECK(GoJsonFloat(-2) == "-2");
  CHECK(GoJsonFloat(100) == "100");
  CHECK(GoJsonFloat(1e6) == "1000000");
  CHECK(GoJsonFloat(1e20) == "100000000000000000000");
  CHECK(GoJsonFloat(0.1) == "0.1");
  CHECK(GoJsonFloat(0.3) == "0.3");
  CHECK(GoJsonFloat(1.5e-5) == "0.000015");
  CHECK(GoJsonFloat(1e-6) == "0.000001");
  CHECK(GoJsonFloat(1e15 + 0.3) == "1000000000000000.2");
  // Exponent form below 1e-6 and from 1e21 on, with e-7 where %e has e-07.
  CHECK(GoJsonFloat(1e-7) == "1e-7");
  CHECK(GoJsonFloat(-1e-7) == "-1e-7");
  CHECK(GoJsonFloat(1.5e-7) == "1.5e-7");
  CHECK(GoJsonFloat(2.5e-10) == "2.5e-10");
  CHECK(GoJsonFloat(5e-324) == "5e-324");
  CHECK(GoJsonFloat(1e21) == "1e+21");
  CHECK(GoJsonFloat(1.5e21) == "1.5e+21");
  CHECK(GoJsonFloat(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
  // Shortest round-trip digits padded with zeros, not the exact binary value
  // (to_chars(fixed) gives 123456789012345683968 and 36028797018963968).
  CHECK(GoJsonFloat(123456789012345678901.0) == "123456789012345680000");
  CHECK(GoJsonFloat(36028797018963970.0) == "36028797018963970");
  CHECK(GoJsonFloat(9007199254740993.0) == "9007199254740992");
  // No JSON form: the caller replaces these; the strconv spelling is what comes.
  CHECK(GoJsonFloat(kNaN) == "NaN");
  CHECK(GoJsonFloat(kInf) == "+Inf");
  CHECK(GoJsonFloat(-kInf) == "-Inf");
}

TEST_CASE("AppendGoJsonFloat appends", "[go_format]") {
  std::string out = "x=";
  AppendGoJsonFloat(out, 2.5);
  AppendGoJsonFloat(out, 1e-7);
  CHECK(out == "x=2.51e-7");
}

TEST_CASE("both forms read back as the same double, and with no more digits than needed", "[go_format]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    std::uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (i % 2 == 1) v = std::ldexp(static_cast<double>(bits >> 11), static_cast<int>(bits % 140) - 70);
    if (!std::isfinite(v)) continue;
    const std::string json = GoJsonFloat(v), g = GoFloat(v);
    INFO(json << " / " << g);
    REQUIRE(std::signbit(Parse(json)) == std::signbit(v));
    REQUIRE(Parse(json) == v);
    REQUIRE(Parse(g) == v);
    // The same significant digits as to_chars' shortest form, whatever the layout.
    char sci[32];
    auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
    std::string digits;
    for (const char* p = sci; p < r.ptr && *p != 'e'; ++p) {
      if (*p >= '0' && *p <= '9') digits += *p;
    }
    std::string json_digits;
    for (char c : json.substr(0, json.find('e'))) {
      if (c >= '0' && c <= '9') json_digits += c;
    }
    json_digits.erase(0, json_digits.find_first_not_of('0'));
    json_digits.erase(json_digits.find_last_not_of('0') + 1);
    digits.erase(digits.find_last_not_of('0') + 1);
    if (v != 0) REQUIRE(json_digits == digits);
  }
}
