#include "otlp/wire/request_batch.h"

#include <catch2/catch.hpp>

#include "test/otlp/wire/otlp_test_data.h"

using namespace otlpd;
using namespace otlpd::wire;

// The senders' gzip (Payload::gzip) rides along only while it describes the
// batch's bytes exactly: every request appended had it, and nothing was cut.
TEST_CASE("a batch carries its requests' gzip only while every request had one and it went whole") {
  const std::string a = testing::MakeTraces(1, 1, 3).SerializeAsString();
  const std::string b = testing::MakeTraces(1, 1, 4).SerializeAsString();
  const BatchLimits limits{BatchSizer::kItems, 10, 0};

  SECTION("every request with its gzip: the piece has them all, in order") {
    RequestBatch batch(Signal::kTraces);
    batch.Append(a, 3, limits, "<a>");
    batch.Append(b, 4, limits, "<b>");
    std::vector<Piece> out;
    REQUIRE(batch.Cut(limits, true, out).ok());
    REQUIRE(out.size() == 1);
    CHECK(out[0].bytes == a + b);
    CHECK(out[0].gzip == "<a><b>");

    // The next batch starts over.
    batch.Append(b, 4, limits, "<b>");
    out.clear();
    REQUIRE(batch.Cut(limits, true, out).ok());
    CHECK(out.at(0).gzip == "<b>");
  }

  SECTION("one request without: none") {
    RequestBatch batch(Signal::kTraces);
    batch.Append(a, 3, limits, "<a>");
    batch.Append(b, 4, limits);
    batch.Append(a, 3, limits, "<a>");
    std::vector<Piece> out;
    REQUIRE(batch.Cut(limits, true, out).ok());
    REQUIRE(out.size() == 1);
    CHECK(out[0].gzip.empty());
  }

  SECTION("a batch cut into pieces: none, also for what is left") {
    const BatchLimits small{BatchSizer::kItems, 5, 5};
    RequestBatch batch(Signal::kTraces);
    batch.Append(a, 3, small, "<a>");
    batch.Append(b, 4, small, "<b>");
    std::vector<Piece> out;
    REQUIRE(batch.Cut(small, false, out).ok());
    REQUIRE(out.size() == 1);
    CHECK(out[0].items == 5);
    CHECK(out[0].gzip.empty());
    batch.Append(a, 3, small, "<a>");
    out.clear();
    REQUIRE(batch.Cut(small, true, out).ok());
    for (const Piece& p : out) CHECK(p.gzip.empty());
  }
}
