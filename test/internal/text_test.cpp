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
