// The vector check (simdjson, long strings) and the scalar loop must agree on
// every input: the same rules (table 3-7 of the Unicode standard) either way.
#include "otlp/wire/utf8.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

namespace otlpd::wire {
namespace {

// Random text of mostly valid sequences of every length, with some damage.
std::string RandomText(std::mt19937& rng, std::size_t n, bool damage) {
  static const char* const kPieces[] = {"a",
                                        "Z",
                                        " ",
                                        "\xC3\xA9",
                                        "\xD0\x96",
                                        "\xE2\x82\xAC",
                                        "\xE4\xB8\xAD",
                                        "\xED\x9F\xBF",
                                        "\xEF\xBF\xBD",
                                        "\xF0\x9F\x98\x80",
                                        "\xF4\x8F\xBF\xBF"};
  // Bytes that make a sequence wrong where they land: overlong leads, surrogates,
  // past U+10FFFF, lone continuations, truncated leads.
  static const char* const kDamage[] = {
      "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF5",
      "\xFF",     "\x80",     "\xBF",         "\xC3",         "\xE2\x82",         "\xF0\x9F\x98"};
  std::string s;
  while (s.size() < n) s += kPieces[rng() % std::size(kPieces)];
  if (damage) {
    const std::string bad = kDamage[rng() % std::size(kDamage)];
    s.insert(rng() % (s.size() + 1), bad);
  }
  return s;
}

TEST_CASE("IsValidUtf8: the vector check and the scalar loop agree") {
  std::mt19937 rng(20261206);
  int valid = 0, invalid = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::size_t n = 1 + rng() % (i % 2 == 0 ? 100 : 3000);
    const std::string s = RandomText(rng, n, i % 3 == 0);
    const bool expected = IsValidUtf8Scalar(s);
    CAPTURE(i, s.size());
    REQUIRE(IsValidUtf8(s) == expected);
    REQUIRE(IsValidUtf8Slow(s) == expected);
    (expected ? valid : invalid)++;
  }
  // Both answers were exercised, on both sides of the vector check's threshold.
  CHECK(valid > 1000);
  CHECK(invalid > 1000);
}

TEST_CASE("IsValidUtf8: a bad sequence at the end of a long string is found") {
  std::string s(1000, 'a');
  s += "\xE2\x82\xAC";  // valid non-ASCII: takes the slow path
  CHECK(IsValidUtf8(s));
  for (const char* bad : {"\xED\xA0\x80", "\xC0\xAF", "\xF4\x90\x80\x80", "\xE2\x82"}) {
    CAPTURE(bad);
    CHECK_FALSE(IsValidUtf8(s + bad));
    CHECK_FALSE(IsValidUtf8Scalar(s + bad));
  }
}

}  // namespace
}  // namespace otlpd::wire
