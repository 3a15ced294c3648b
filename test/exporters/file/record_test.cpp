#include "exporters/file/record.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "otlp/json/otlp_json.h"
#include "test/exporters/file/test_files.h"
#include "test/exporters/file/test_requests.h"

namespace otlpd::exporters::file {
namespace {

std::uint32_t Prefix(const std::string& record) {
  REQUIRE(record.size() >= 4);
  auto b = [&](int i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(record[i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

TEST_CASE("records are laid out as otelcol's file exporter writes them", "[file][record]") {
  const Signal signal = GENERATE(Signal::kTraces, Signal::kMetrics, Signal::kLogs);
  PayloadPtr p = testing::MakeRequest(signal, {{"a", 3}}, "t", 100);
  Result<std::string> json = json::EncodeRequest(signal, p->bytes);
  REQUIRE(json.ok());

  SECTION("json: one object per line") {
    Result<std::string> r = EncodeRecord(signal, p->bytes, Format::kJson, Compression::kNone);
    REQUIRE(r.ok());
    CHECK(*r == *json + "\n");
  }
  SECTION("proto: 4-byte big-endian length, then the request") {
    Result<std::string> r = EncodeRecord(signal, p->bytes, Format::kProto, Compression::kNone);
    REQUIRE(r.ok());
    CHECK(Prefix(*r) == p->bytes.size());
    CHECK(r->substr(4) == p->bytes);
  }
  SECTION("zstd: the length of one zstd frame holding the message (json without newline)") {
    const Format format = GENERATE(Format::kJson, Format::kProto);
    Result<std::string> r = EncodeRecord(signal, p->bytes, format, Compression::kZstd);
    REQUIRE(r.ok());
    CHECK(Prefix(*r) == r->size() - 4);
    // zstd's frame magic number, little-endian, starts the message.
    CHECK(r->substr(4, 4) == std::string("\x28\xb5\x2f\xfd", 4));
    std::optional<std::string> plain = testing::ZstdDecompress(r->substr(4));
    REQUIRE(plain.has_value());
    CHECK(*plain == (format == Format::kJson ? *json : p->bytes));
    CHECK(r->size() < plain->size());  // the padding compresses
  }
}

TEST_CASE("compression_params.level is the zstd level of each frame", "[file][record]") {
  PayloadPtr p = testing::MakeRequest(Signal::kLogs, {{"a", 50}}, "t", 2000);
  Result<std::string> fast = EncodeRecord(Signal::kLogs, p->bytes, Format::kProto, Compression::kZstd, 1);
  Result<std::string> dflt = EncodeRecord(Signal::kLogs, p->bytes, Format::kProto, Compression::kZstd, 0);
  Result<std::string> three = EncodeRecord(Signal::kLogs, p->bytes, Format::kProto, Compression::kZstd, 3);
  Result<std::string> beyond =
      EncodeRecord(Signal::kLogs, p->bytes, Format::kProto, Compression::kZstd, 1000);
  REQUIRE((fast.ok() && dflt.ok() && three.ok() && beyond.ok()));
  CHECK(*dflt == *three);  // 0 is zstd's default, 3
  for (const std::string* r : {&*fast, &*dflt, &*beyond}) {
    std::optional<std::string> plain = testing::ZstdDecompress(r->substr(4));
    REQUIRE(plain.has_value());
    CHECK(*plain == p->bytes);
  }
  CHECK(*fast != *beyond);  // clamped to zstd's highest level, which packs differently from level 1
}

TEST_CASE("a request that does not decode is refused by the json format", "[file][record]") {
  Result<std::string> r =
      EncodeRecord(Signal::kTraces, std::string("\x0a\x05\x01", 3), Format::kJson, Compression::kNone);
  CHECK_FALSE(r.ok());
  // The proto format copies bytes as they are (receivers validated them).
  CHECK(EncodeRecord(Signal::kTraces, std::string("\x0a\x00", 2), Format::kProto, Compression::kNone).ok());
}

}  // namespace
}  // namespace otlpd::exporters::file
