#include "otlp/wire/wire_format.h"

#include <catch2/catch.hpp>
#include <string>

#include "otlp/wire/utf8.h"

namespace otlpd::wire {
namespace {

TEST_CASE("Reader reads varints of every length and refuses broken ones") {
  for (std::uint64_t v :
       {0ull, 1ull, 127ull, 128ull, 300ull, 16383ull, 16384ull, 0xFFFFFFFFull, 1ull << 56, ~0ull}) {
    std::string bytes;
    AppendVarint(bytes, v);
    CHECK(bytes.size() == VarintSize(v));
    Reader reader(bytes);
    std::uint64_t out = 0;
    REQUIRE(reader.ReadVarint(out));
    CHECK(out == v);
    CHECK(reader.AtEnd());
    // Every strict prefix is truncated.
    for (std::size_t len = 0; len < bytes.size(); ++len) {
      Reader prefix(std::string_view(bytes.data(), len));
      CHECK_FALSE(prefix.ReadVarint(out));
    }
  }
  // Padded (non-minimal) varints are legal protobuf; 11 bytes are not.
  Reader padded(std::string_view("\x81\x80\x80\x00", 4));
  std::uint64_t out = 0;
  CHECK(padded.ReadVarint(out));
  CHECK(out == 1);
  Reader too_long(std::string_view("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 11));
  CHECK_FALSE(too_long.ReadVarint(out));
}

TEST_CASE("Reader reads tags and whole fields") {
  std::string bytes;
  AppendTag(bytes, 1, WireType::kVarint);
  AppendVarint(bytes, 150);
  AppendTag(bytes, 2, WireType::kFixed64);
  bytes.append("\x01\x00\x00\x00\x00\x00\x00\x00", 8);
  AppendLengthDelimited(bytes, 3, "hello");
  AppendTag(bytes, 4, WireType::kFixed32);
  bytes.append("\x02\x00\x00\x00", 4);
  AppendTag(bytes, 5, WireType::kStartGroup);
  AppendTag(bytes, 1, WireType::kVarint);
  AppendVarint(bytes, 7);
  AppendTag(bytes, 5, WireType::kEndGroup);
  AppendTag(bytes, kMaxFieldNumber, WireType::kVarint);
  AppendVarint(bytes, 9);

  Reader reader(bytes);
  Field f;
  REQUIRE(reader.ReadField(f));
  CHECK((f.number == 1 && f.type == WireType::kVarint && f.value == 150));
  CHECK(f.raw == std::string_view("\x08\x96\x01", 3));
  REQUIRE(reader.ReadField(f));
  CHECK((f.number == 2 && f.type == WireType::kFixed64 && f.value == 1));
  REQUIRE(reader.ReadField(f));
  CHECK((f.number == 3 && f.type == WireType::kLen && f.payload == "hello"));
  REQUIRE(reader.ReadField(f));
  CHECK((f.number == 4 && f.type == WireType::kFixed32 && f.value == 2));
  REQUIRE(reader.ReadField(f));
  CHECK((f.number == 5 && f.type == WireType::kStartGroup && f.payload == "\x08\x07"));
  REQUIRE(reader.ReadField(f));
  CHECK((f.number == kMaxFieldNumber && f.value == 9));
  CHECK(reader.AtEnd());
  CHECK_FALSE(reader.ReadField(f));
}

TEST_CASE("Reader refuses malformed tags, lengths and groups") {
  auto fails = [](std::string_view bytes) {
    Reader reader(bytes);
    Field f;
    return !reader.ReadField(f);
  };
  CHECK(fails(std::string_view("\x00\x01", 2)));  // field 0
  CHECK(fails("\x0E"));                           // wire type 6
  CHECK(fails("\x0F"));                           // wire type 7
  CHECK(fails("\x0C"));                           // end group without start
  CHECK(
      fails("\x0A\x05"
            "abc"));                                              // length past the end
  CHECK(fails("\x0A\xFF\xFF\xFF\xFF\x0F"));                       // huge length
  CHECK(fails("\x09\x01\x02"));                                   // short fixed64
  CHECK(fails("\x0D\x01"));                                       // short fixed32
  CHECK(fails("\x0B\x08\x01"));                                   // group never ends
  CHECK(fails("\x0B\x14"));                                       // group ends with another number
  CHECK(fails(std::string_view("\x88\x80\x80\x80\x80\x00", 6)));  // 6-byte tag
  CHECK(fails(std::string_view("\x88\x80\x80\x80\x70\x00", 6)));  // tag above 32 bits
  std::string deep;
  for (int i = 0; i < 10; ++i) deep += "\x0B";
  for (int i = 0; i < 10; ++i) deep += "\x0C";
  Reader reader(deep);
  Field f;
  CHECK_FALSE(reader.ReadField(f, 9));
  Reader again(deep);
  CHECK(again.ReadField(f, 10));
}

TEST_CASE("IsValidUtf8 follows the Unicode well-formedness table") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ascii that is longer than eight bytes"));
  CHECK(IsValidUtf8("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF \xEF\xBF\xBF"));
  CHECK(IsValidUtf8(std::string_view("\x00", 1)));
  CHECK(IsValidUtf8("\xED\x9F\xBF"));  // U+D7FF, just below the surrogates
  CHECK(IsValidUtf8("\xEE\x80\x80"));  // U+E000, just above
  for (std::string_view bad : {"\x80",
                               "\xBF",
                               "\xC0\x80",
                               "\xC1\xBF",
                               "\xC3",
                               "\xC3\x28",
                               "\xE0\x80\x80",
                               "\xE0\x9F\xBF",
                               "\xED\xA0\x80",
                               "\xED\xBF\xBF",
                               "\xE2\x82",
                               "\xF0\x80\x80\x80",
                               "\xF0\x8F\xBF\xBF",
                               "\xF4\x90\x80\x80",
                               "\xF5\x80\x80\x80",
                               "\xF0\x9F\x98",
                               "\xFE",
                               "\xFF",
                               "abcdefgh\xFF",
                               "abcdefghijklmno\xC3"}) {
    CAPTURE(bad);
    CHECK_FALSE(IsValidUtf8(bad));
  }
}

}  // namespace
}  // namespace otlpd::wire
