#include "exporters/exporterhelper/payload_codec.h"

#include <catch2/catch.hpp>

using namespace otlpd;
using Catch::Matchers::Contains;
using exporters::exporterhelper::DecodePayloadRecord;
using exporters::exporterhelper::EncodePayloadRecord;

namespace {

PayloadPtr WithMetadata() {
  return MakePayload(
      Signal::kMetrics, std::string("\x0a\x02\x00\xff", 4), 12,
      std::make_shared<const Metadata>(Metadata{{"x-scope", "a"}, {"x-scope", ""}, {"k", "v"}}));
}

}  // namespace

TEST_CASE("a payload comes back from its record as it went in") {
  auto p = GENERATE(
      MakePayload(Signal::kTraces, "spans", 3), MakePayload(Signal::kLogs, "", 0),
      MakePayload(Signal::kTraces, std::string(100000, 'x'), 1000, std::make_shared<const Metadata>()),
      WithMetadata());
  Result<PayloadPtr> back = DecodePayloadRecord(EncodePayloadRecord(*p));
  REQUIRE(back.ok());
  const Payload& q = **back;
  CHECK(q.signal == p->signal);
  CHECK(q.items == p->items);
  CHECK(q.bytes == p->bytes);
  REQUIRE((q.metadata == nullptr) == (p->metadata == nullptr));
  if (p->metadata) CHECK(*q.metadata == *p->metadata);
}

TEST_CASE("every truncation of a record is refused, never read past its end") {
  const std::string record = EncodePayloadRecord(*WithMetadata());
  for (std::size_t n = 0; n < record.size(); ++n) {
    CAPTURE(n);
    Result<PayloadPtr> r = DecodePayloadRecord(std::string_view(record).substr(0, n));
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("records that are not ours, or from another format version, are refused naming why") {
  std::string record = EncodePayloadRecord(*WithMetadata());
  SECTION("bad magic") {
    record[0] = 'X';
    CHECK_THAT(DecodePayloadRecord(record).status().message(), Contains("bad magic"));
  }
  SECTION("a newer format version") {
    record[4] = 2;
    CHECK_THAT(DecodePayloadRecord(record).status().message(), Contains("format version 2"));
  }
  SECTION("an unknown signal") {
    record[5] = 4;  // 3 is profiles
    CHECK_THAT(DecodePayloadRecord(record).status().message(), Contains("unknown signal 4"));
  }
  SECTION("unknown flags") {
    record[6] = 4;
    CHECK_THAT(DecodePayloadRecord(record).status().message(), Contains("unknown flags"));
  }
  SECTION("bytes after the request") {
    record += "zz";
    CHECK_THAT(DecodePayloadRecord(record).status().message(), Contains("2 unexpected byte(s)"));
  }
  SECTION("a metadata count larger than the record could hold") {
    for (int i = 16; i < 20; ++i) record[static_cast<std::size_t>(i)] = '\xff';
    CHECK_THAT(DecodePayloadRecord(record).status().message(), Contains("exceeds the record"));
  }
}
