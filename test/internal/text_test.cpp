#include "internal/text.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <string>

using namespace otlpd;

TEST_CASE("text: case folding matches the C locale's tolower/toupper for every byte") {
  // The copies this helper replaced called std::tolower/toupper; the process
  // never calls setlocale, so they ran in the "C" locale. Same result, byte by byte.
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    INFO("byte " << b);
    CHECK(AsciiLower(c) == static_cast<char>(std::tolower(b)));
    CHECK(AsciiUpper(c) == static_cast<char>(std::toupper(b)));
  }
}

TEST_CASE("text: strings fold ASCII letters only") {
  CHECK(AsciiLower("Content-Type: Application/JSON") == "content-type: application/json");
  CHECK(AsciiUpper("post-Ä") == "POST-Ä");  // UTF-8 bytes pass through
  CHECK(AsciiLower("") == "");
  std::string s = "X-Tenant-ID";
  AsciiLowerInPlace(s);
  CHECK(s == "x-tenant-id");
}

TEST_CASE("text: EqualsIgnoreCase") {
  CHECK(EqualsIgnoreCase("application/x-protobuf", "Application/X-Protobuf"));
  CHECK(EqualsIgnoreCase("", ""));
  CHECK_FALSE(EqualsIgnoreCase("http", "https"));
  CHECK_FALSE(EqualsIgnoreCase("Host", "Hosu"));
  // '@' and '`' differ from 'A'/'a' by 0x20 but are not letters.
  CHECK_FALSE(EqualsIgnoreCase("@", "`"));
  CHECK_FALSE(EqualsIgnoreCase("[", "{"));
}

TEST_CASE("text: trimming") {
  CHECK(TrimHttpSpace(" \t application/json \t") == "application/json");
  CHECK(TrimHttpSpace("\r\nx\n") == "\r\nx\n");  // only SP and HTAB are OWS
  CHECK(TrimHttpSpace("   ").empty());
  CHECK(TrimHttpSpace("a b") == "a b");
  CHECK(TrimAsciiSpace("\v\f\r\n\t otlp/2 \n") == "otlp/2");
  CHECK(TrimAsciiSpace("\n").empty());
  CHECK(TrimAsciiSpace("a \n b") == "a \n b");
  CHECK(TrimAsciiSpace("\xC2\xA0x") == "\xC2\xA0x");  // no Unicode spaces
}

TEST_CASE("text: AppendUtf8 writes a code point as Go's utf8.AppendRune") {
  std::string out;
  for (std::uint32_t r : {0x41u, 0xE9u, 0x20ACu, 0x1F600u}) AppendUtf8(out, r);
  CHECK(out == "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  out.clear();
  AppendUtf8(out, 0xD800);    // a surrogate
  AppendUtf8(out, 0x110000);  // past the last code point
  CHECK(out == "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("text: hexadecimal digits and DecodeHex") {
  CHECK(HexDigitValue('0') == 0);
  CHECK(HexDigitValue('a') == 10);
  CHECK(HexDigitValue('F') == 15);
  CHECK(HexDigitValue('g') == -1);
  std::string out;
  CHECK(DecodeHex("00fFa1", out));
  CHECK(out == std::string("\x00\xff\xa1", 3));
  CHECK(DecodeHex("", out));
  CHECK(out.empty());
  CHECK_FALSE(DecodeHex("abc", out));  // odd length
  CHECK_FALSE(DecodeHex("zz", out));
}
