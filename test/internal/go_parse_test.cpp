#include "internal/go_parse.h"

#include <cmath>

#include <catch2/catch.hpp>

using namespace otlpd;

TEST_CASE("GoParseFloat accepts and refuses what strconv.ParseFloat(s, 64) does") {
  struct Case {
    const char* text;
    bool ok;
    double value;
  };
  const Case cases[] = {
      {"0.5", true, 0.5},  {"-0.5", true, -0.5}, {"1_000", true, 1000},  {"0x1p-2", true, 0.25},
      {"+1", true, 1},     {"1.", true, 1},      {".5", true, 0.5},      {"0_1", true, 1},
      {"0x_1p0", true, 1}, {"1e-400", true, 0},  {"00.5e+0_1", true, 5}, {"-0", true, -0.0},
      {"1e400", false, 0}, {"0x1", false, 0},    {" 1", false, 0},       {"1__0", false, 0},
      {"_1", false, 0},    {"1_", false, 0},     {"+nan", false, 0},     {"1e", false, 0},
      {"0b1", false, 0},   {"", false, 0},       {"true", false, 0},     {"1.5x", false, 0},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto v = GoParseFloat(c.text);
    REQUIRE(v.has_value() == c.ok);
    if (c.ok) CHECK(*v == c.value);
  }
  CHECK(std::isnan(*GoParseFloat("NaN")));
  CHECK(std::isnan(*GoParseFloat("nan")));
  CHECK(*GoParseFloat("+Inf") == HUGE_VAL);
  CHECK(*GoParseFloat("-infinity") == -HUGE_VAL);
}

TEST_CASE("GoParseInt is strconv.ParseInt(s, 10, 64)") {
  CHECK(GoParseInt("42") == 42);
  CHECK(GoParseInt("-9223372036854775808") == INT64_MIN);
  CHECK(GoParseInt("+9223372036854775807") == INT64_MAX);
  CHECK_FALSE(GoParseInt("9223372036854775808"));
  CHECK_FALSE(GoParseInt("1_000"));
  CHECK_FALSE(GoParseInt("0x10"));
  CHECK_FALSE(GoParseInt("-"));
  CHECK_FALSE(GoParseInt(""));
  CHECK_FALSE(GoParseInt(" 1"));
  CHECK_FALSE(GoParseInt("1.0"));
}
