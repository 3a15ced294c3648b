#include "config/compression/gzip_sender.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "config/compression/gzip_members.h"
#include "test/support/gzip.h"

using namespace otlpd;
using namespace otlpd::config::compression;

namespace {

// Lines of JSON-like records: level 1 is about 28% larger than level 6 here.
std::string Records(std::mt19937& rng, std::size_t size) {
  std::string s;
  char buf[200];
  while (s.size() < size) {
    std::snprintf(buf, sizeof buf,
                  "{\"name\":\"requests\",\"point\":%u,\"host\":\"node-%u\",\"route\":\"/api/%u\"}\n",
                  static_cast<unsigned>(rng() % 1000), static_cast<unsigned>(rng() % 8),
                  static_cast<unsigned>(rng() % 50));
    s += buf;
  }
  return s;
}

// Random bytes: every level stores them, so level 1 is as small as level 6,
// and gzip made request by request as small as the batch's.
std::string Noise(std::mt19937& rng, std::size_t size) {
  std::string s(size, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// A batch of `n` requests and their senders' gzip.
struct Batch {
  std::string bytes, gzip;
};
template <class Make>
Batch MakeBatch(int n, Make make) {
  Batch b;
  for (int i = 0; i < n; ++i) {
    const std::string r = make();
    b.bytes += r;
    AppendMember(b.gzip, test::ZlibGzip(r));
  }
  return b;
}

}  // namespace

TEST_CASE("gzip bodies of small requests are compressed, at level 6 when level 1 would be larger") {
  std::mt19937 rng(5);
  GzipSender sender(0);
  // 20 requests of 2 KB: their batch compresses far better than they did one by one.
  const Batch b = MakeBatch(20, [&] { return Records(rng, 2000); });
  for (std::uint32_t i = 0; i < GzipSender::kSampleEvery + 2; ++i) {
    auto out = sender.Gzip(Signal::kMetrics, b.bytes, b.gzip);
    REQUIRE(out.ok());
    CHECK(test::GunzipOneMember(*out) == b.bytes);
  }
  CHECK_FALSE(sender.pass_on(Signal::kMetrics));
  CHECK(sender.way(Signal::kMetrics) == GzipSender::Way::kDefault);
}

TEST_CASE("gzip bodies go out at level 1 where it is as small as level 6") {
  std::mt19937 rng(6);
  GzipSender sender(0);
  const std::string bytes = Noise(rng, 100000);
  for (int i = 0; i < 3; ++i) {
    auto out = sender.Gzip(Signal::kLogs, bytes, {});
    REQUIRE(out.ok());
    CHECK(test::GunzipOneMember(*out) == bytes);
  }
  CHECK(sender.way(Signal::kLogs) == GzipSender::Way::kFast);
  CHECK(sender.way(Signal::kTraces) == GzipSender::Way::kDefault);  // each signal measured on its own
}

TEST_CASE("the senders' gzip is passed on where it is as small as the batch's own") {
  std::mt19937 rng(7);
  GzipSender sender(0);
  const Batch b = MakeBatch(4, [&] { return Noise(rng, 50000); });
  auto first = sender.Gzip(Signal::kTraces, b.bytes, b.gzip);  // the first body is measured
  REQUIRE(first.ok());
  CHECK(test::GunzipOneMember(*first) == b.bytes);
  REQUIRE(sender.pass_on(Signal::kTraces));

  // Members holding other bytes of the same size (no receiver makes such a
  // payload) show that what goes out is theirs.
  const Batch other = MakeBatch(4, [&] { return Noise(rng, 50000); });
  auto out = sender.Gzip(Signal::kTraces, b.bytes, other.gzip);
  REQUIRE(out.ok());
  CHECK(test::GunzipOneMember(*out) == other.bytes);
  // A body without the senders' gzip is compressed.
  out = sender.Gzip(Signal::kTraces, b.bytes, {});
  REQUIRE(out.ok());
  CHECK(test::GunzipOneMember(*out) == b.bytes);
}

TEST_CASE("a configured gzip level is used as it is") {
  std::mt19937 rng(8);
  GzipSender sender(9);
  const Batch b = MakeBatch(4, [&] { return Noise(rng, 50000); });
  const Batch other = MakeBatch(4, [&] { return Noise(rng, 50000); });
  for (int i = 0; i < 3; ++i) {
    auto out = sender.Gzip(Signal::kTraces, b.bytes, other.gzip);
    REQUIRE(out.ok());
    CHECK(test::GunzipOneMember(*out) == b.bytes);  // compressed here, never the senders'
  }
  CHECK_FALSE(sender.pass_on(Signal::kTraces));
}
