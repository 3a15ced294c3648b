// The ring must place endpoints and keys exactly as contrib's
// consistent_hashing.go (v0.161.0). The expected values below were produced
// by running contrib's own file (copied out of the v0.161.0 module into a
// throwaway `package main`) and checked independently with Python:
//   zlib.crc32(b"endpoint-2:4317" + struct.pack("<I", i)) % 131071
//   -> smallest over i < 200 is 105, zlib.crc32(b"a") % 131071 == 12959.
#include "exporters/loadbalancing/ring.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>

using otlpd::exporters::loadbalancing::Crc32Ieee;
using otlpd::exporters::loadbalancing::HashRing;
using otlpd::exporters::loadbalancing::kRingPositions;

namespace {

std::string EndpointOf(const HashRing& r, std::string_view id) {
  const int e = r.EndpointFor(id);
  return e < 0 ? "" : r.endpoints()[static_cast<std::size_t>(e)];
}

const std::string kTraceId("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);

}  // namespace

TEST_CASE("CRC32-IEEE and ring positions match zlib / Go") {
  CHECK(Crc32Ieee("") == 0u);
  CHECK(Crc32Ieee("123456789") == 0xCBF43926u);  // the CRC-32 check value
  CHECK(HashRing::PositionOf("a") == 12959u);
  CHECK(HashRing::PositionOf("frontend") == 99492u);
  CHECK(HashRing::PositionOf("service.name=checkout|") == 80009u);
  CHECK(HashRing::PositionOf(kTraceId) == 34199u);
}

TEST_CASE("ring points: 200 per endpoint, positions as contrib's") {
  HashRing r({"endpoint-1:4317", "endpoint-2:4317", "endpoint-3:4317"});
  REQUIRE(r.points().size() == 600);
  CHECK(r.points()[0].position == 105);
  CHECK(r.endpoints()[r.points()[0].endpoint] == "endpoint-2:4317");
  CHECK(r.points()[1].position == 178);
  CHECK(r.endpoints()[r.points()[1].endpoint] == "endpoint-3:4317");
  CHECK(r.points().back().position == 131030);
  CHECK(r.endpoints()[r.points().back().endpoint] == "endpoint-1:4317");
  for (std::size_t i = 1; i < r.points().size(); ++i)
    CHECK(r.points()[i - 1].position < r.points()[i].position);

  HashRing bare({"10.0.0.1", "10.0.0.2"});
  REQUIRE(bare.points().size() == 400);
  CHECK(bare.points()[0].position == 337);
  CHECK(bare.points()[1].position == 813);
  CHECK(bare.points().back().position == 131043);
  HashRing ported({"10.0.0.1:4317", "10.0.0.2:4317"});
  CHECK(ported.points()[0].position == 205);
  CHECK(ported.points()[1].position == 258);
  CHECK(ported.points().back().position == 131050);
}

TEST_CASE("ring lookups equal contrib's endpointFor") {
  HashRing three({"endpoint-1:4317", "endpoint-2:4317", "endpoint-3:4317"});
  HashRing bare({"10.0.0.1", "10.0.0.2"});
  HashRing ported({"10.0.0.1:4317", "10.0.0.2:4317"});
  struct Case {
    std::string id, three, bare, ported;
  };
  const Case cases[] = {
      {"", "endpoint-2:4317", "10.0.0.1", "10.0.0.1:4317"},
      {"a", "endpoint-2:4317", "10.0.0.2", "10.0.0.1:4317"},
      {"service.name=checkout|", "endpoint-2:4317", "10.0.0.1", "10.0.0.1:4317"},
      {kTraceId, "endpoint-2:4317", "10.0.0.2", "10.0.0.2:4317"},
      {"0102030405060708090a0b0c0d0e0f10", "endpoint-2:4317", "10.0.0.2", "10.0.0.2:4317"},
      {"frontend", "endpoint-2:4317", "10.0.0.2", "10.0.0.2:4317"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.id);
    CHECK(EndpointOf(three, c.id) == c.three);
    CHECK(EndpointOf(bare, c.id) == c.bare);
    CHECK(EndpointOf(ported, c.id) == c.ported);
  }
  // key-0 .. key-59, by the digit of their endpoint, from contrib's code.
  const std::string expected3 = "213133222322233113321131221112213232221112112311323331321132";
  const std::string expected4 = "213134222322243413421141241112214432424442114441323331321132";
  HashRing four({"endpoint-1:4317", "endpoint-2:4317", "endpoint-3:4317", "endpoint-4:4317"});
  std::string got3, got4;
  for (int i = 0; i < 60; ++i) {
    got3 += EndpointOf(three, "key-" + std::to_string(i))[9];
    got4 += EndpointOf(four, "key-" + std::to_string(i))[9];
  }
  CHECK(got3 == expected3);
  CHECK(got4 == expected4);
}

TEST_CASE("the ring does not depend on the order of its endpoints") {
  HashRing a({"endpoint-1:4317", "endpoint-2:4317", "endpoint-3:4317"});
  HashRing b({"endpoint-3:4317", "endpoint-1:4317", "endpoint-2:4317"});
  for (int i = 0; i < 1000; ++i) {
    const std::string k = "k" + std::to_string(i);
    CHECK(EndpointOf(a, k) == EndpointOf(b, k));
  }
}

TEST_CASE("adding or removing a backend moves only its own share") {
  HashRing before({"endpoint-1:4317", "endpoint-2:4317", "endpoint-3:4317"});
  HashRing added({"endpoint-1:4317", "endpoint-2:4317", "endpoint-3:4317", "endpoint-4:4317"});
  HashRing removed({"endpoint-1:4317", "endpoint-3:4317"});
  constexpr int kKeys = 20000;
  int moved_to_new = 0, moved_from_removed = 0;
  std::map<std::string, int> share;
  for (int i = 0; i < kKeys; ++i) {
    const std::string k = "trace-" + std::to_string(i);
    const std::string b = EndpointOf(before, k);
    ++share[b];
    const std::string a = EndpointOf(added, k);
    // A key either stays or moves to the new backend, never between old ones.
    if (a != b) {
      CHECK(a == "endpoint-4:4317");
      ++moved_to_new;
    }
    const std::string r = EndpointOf(removed, k);
    if (b == "endpoint-2:4317") {
      CHECK(r != "endpoint-2:4317");
      ++moved_from_removed;
    } else {
      CHECK(r == b);  // keys of the remaining backends stay put
    }
  }
  // Roughly a quarter moves to the fourth backend; each backend holds about a third.
  CHECK(moved_to_new > kKeys / 6);
  CHECK(moved_to_new < kKeys / 3);
  CHECK(moved_from_removed == share["endpoint-2:4317"]);
  for (const auto& [endpoint, n] : share) {
    CAPTURE(endpoint);
    CHECK(n > kKeys / 4);
    CHECK(n < kKeys / 2);
  }
}

TEST_CASE("lookups that skip failed endpoints walk on clockwise") {
  HashRing r({"endpoint-1:4317", "endpoint-2:4317", "endpoint-3:4317"});
  HashRing without2({"endpoint-1:4317", "endpoint-3:4317"});
  auto index_of = [&](const std::string& e) {
    for (std::uint32_t i = 0; i < r.endpoints().size(); ++i)
      if (r.endpoints()[i] == e) return i;
    return 99u;
  };
  const std::uint32_t two = index_of("endpoint-2:4317");
  for (int i = 0; i < 2000; ++i) {
    const std::string k = "t" + std::to_string(i);
    const int e = r.EndpointFor(k, [&](std::uint32_t x) { return x == two; });
    // Skipping a backend sends its keys where its removal would.
    CHECK(r.endpoints()[static_cast<std::size_t>(e)] == EndpointOf(without2, k));
  }
  // Everything skipped: the first choice stands.
  CHECK(r.EndpointFor("a", [](std::uint32_t) { return true; }) == static_cast<int>(two));
  CHECK(HashRing().EndpointFor("a") == -1);
}

TEST_CASE("a large ring resolves position collisions by probing exactly as contrib") {
  // 80 endpoints: 16000 candidates on 15083 distinct positions (Python:
  // zlib.crc32 as above), so hundreds of points are placed by probing.
  std::vector<std::string> endpoints;
  for (int i = 0; i < 80; ++i) endpoints.push_back("10.1.0." + std::to_string(i) + ":4317");
  std::sort(endpoints.begin(), endpoints.end());
  HashRing r(endpoints);
  REQUIRE(r.points().size() == 16000);
  std::string lines;
  for (const auto& p : r.points())
    lines += std::to_string(p.position) + ":" + r.endpoints()[p.endpoint] + "\n";
  // contrib's items, printed "pos:endpoint\n" in ring order, CRC32-IEEE of the text.
  CHECK(Crc32Ieee(lines) == 1474885740u);
  const std::string expected =
      "2,5,4,63,47,45,7,13,36,14,50,23,64,30,78,77,30,74,1,26,43,8,46,25,37,68,39,59,44,5,23,7,"
      "1,5,26,21,67,34,74,40,";
  std::string got;
  for (int i = 0; i < 40; ++i) {
    std::string e = EndpointOf(r, "trace-" + std::to_string(i));
    got += e.substr(7, e.size() - 7 - 5) + ",";
  }
  CHECK(got == expected);
}
