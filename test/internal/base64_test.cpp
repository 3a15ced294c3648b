#include "internal/base64.h"

#include <vector>

#include <catch2/catch.hpp>
#include <string>

using namespace otlpd;

TEST_CASE("base64: RFC 4648 section 10 test vectors") {
  CHECK(Base64("") == "");
  CHECK(Base64("f") == "Zg==");
  CHECK(Base64("fo") == "Zm8=");
  CHECK(Base64("foo") == "Zm9v");
  CHECK(Base64("foob") == "Zm9vYg==");
  CHECK(Base64("fooba") == "Zm9vYmE=");
  CHECK(Base64("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64: every byte value, high bits included, as Go's StdEncoding writes them") {
  // Expected strings computed with Python's base64.b64encode (same alphabet and padding as Go's StdEncoding).
  CHECK(Base64(std::string("\x00", 1)) == "AA==");
  CHECK(Base64(std::string("\x00\x00\x00", 3)) == "AAAA");
  CHECK(Base64("\xff\xff\xff") == "////");
  CHECK(Base64("\xfb\xef\xbe") == "++++");
  CHECK(Base64("\xff\xfe") == "//4=");
  CHECK(Base64("user:pa ss") == "dXNlcjpwYSBzcw==");  // an HTTP Basic credential
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const std::string enc = Base64(all);
  CHECK(enc.size() == Base64EncodedSize(256));
  CHECK(enc.substr(0, 24) == "AAECAwQFBgcICQoLDA0ODxAR");
  CHECK(enc.substr(enc.size() - 8) == "/P3+/w==");
}

TEST_CASE("base64: AppendBase64 appends, Base64Encode writes exactly the computed size") {
  std::string out = "Basic ";
  AppendBase64(out, "a:b");
  CHECK(out == "Basic YTpi");
  char buf[16];
  const unsigned char in[] = {'h', 'i', '!', '?'};
  char* end = Base64Encode(in, sizeof in, buf);
  CHECK(static_cast<std::size_t>(end - buf) == Base64EncodedSize(sizeof in));
  CHECK(std::string(buf, end) == "aGkhPw==");
}

TEST_CASE("Base64Decode reads padded, unpadded and wrapped base64") {
  std::string out;
  CHECK(Base64Decode("aGVsbG8=", &out));
  CHECK(out == "hello");
  CHECK(Base64Decode("aGVsbG8", &out));
  CHECK(out == "hello");
  CHECK(Base64Decode("aGVs\nbG8h", &out));
  CHECK(out == "hello!");
  CHECK(Base64Decode("", &out));
  CHECK(out.empty());
  CHECK_FALSE(Base64Decode("aGV*", &out));
  CHECK_FALSE(Base64Decode("a", &out));
  CHECK_FALSE(Base64Decode("aG==x", &out));
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    CHECK(Base64Decode(Base64(s), &out));
    CHECK(out == s);
  }
}
