#include "config/compression/gzip_members.h"

#include <libdeflate.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "test/support/gzip.h"

using namespace otlpd;
using namespace otlpd::config::compression;

namespace {

void PutLe32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A member as Go's compress/flate ends one: the data, a sync flush, then an
// empty stored block marked final.
std::string GoStyleGzip(const std::string& data) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string raw(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(raw.data());
  z.avail_out = static_cast<uInt>(raw.size());
  REQUIRE(deflate(&z, Z_SYNC_FLUSH) == Z_OK);
  raw.resize(z.total_out);
  deflateEnd(&z);
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  out += raw;
  out.append("\x01\x00\x00\xff\xff", 5);
  PutLe32(out, static_cast<std::uint32_t>(
                   crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()))));
  PutLe32(out, static_cast<std::uint32_t>(data.size()));
  return out;
}

// libdeflate too (its own CRC and size checks), expecting one member.
void CheckLibdeflate(const std::string& gz, const std::string& want) {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  std::string out(want.size(), '\0');
  std::size_t in_used = 0, out_made = 0;
  const auto r =
      libdeflate_gzip_decompress_ex(d, gz.data(), gz.size(), out.data(), out.size(), &in_used, &out_made);
  libdeflate_free_decompressor(d);
  CHECK(r == LIBDEFLATE_SUCCESS);
  CHECK(in_used == gz.size());
  CHECK(out_made == want.size());
  CHECK(out == want);
}

std::string Data(std::mt19937& rng, std::size_t n, int kind) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    switch (kind) {
      case 0: s[i] = static_cast<char>(rng()); break;                        // incompressible: stored blocks
      case 1: s[i] = "service.name=checkout span "[i % 27]; break;           // very repetitive
      default: s[i] = static_cast<char>('a' + rng() % (1 + i % 23)); break;  // in between
    }
  }
  return s;
}

}  // namespace

TEST_CASE("members joined decompress as one member to the concatenation of their data") {
  std::mt19937 rng(7);
  for (int round = 0; round < 120; ++round) {
    const int count = 1 + static_cast<int>(rng() % 6);
    std::string framed, want;
    for (int i = 0; i < count; ++i) {
      const std::size_t size = rng() % 5 == 0 ? rng() % 40 : rng() % 200000;
      const std::string data = Data(rng, size, static_cast<int>(rng() % 3));
      const int style = static_cast<int>(rng() % 12);
      const std::string member = style == 10 ? GoStyleGzip(data)
                                 : style == 11
                                     ? test::ZlibGzip(data, 6, true)
                                     : test::ZlibGzip(data, style == 0 ? Z_DEFAULT_COMPRESSION : style);
      AppendMember(framed, member);
      want += data;
    }
    INFO("round " << round << ", " << count << " members, " << want.size() << " bytes");
    auto joined = JoinGzipMembers(framed, want.size());
    REQUIRE(joined.ok());
    CHECK(test::GunzipOneMember(*joined) == want);
    CheckLibdeflate(*joined, want);
  }
}

TEST_CASE("a single member is passed on unchanged") {
  const std::string data(5000, 'x');
  const std::string member = test::ZlibGzip(data, 6, true);
  std::string framed;
  AppendMember(framed, member);
  auto joined = JoinGzipMembers(framed, data.size());
  REQUIRE(joined.ok());
  CHECK(*joined == member);
}

TEST_CASE("the joined stream is no larger than the members plus a few bytes each") {
  std::mt19937 rng(11);
  std::string framed, want;
  std::size_t members_size = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string data = Data(rng, 40000, 2);
    const std::string member = test::ZlibGzip(data, 6);
    members_size += member.size();
    AppendMember(framed, member);
    want += data;
  }
  auto joined = JoinGzipMembers(framed, want.size());
  REQUIRE(joined.ok());
  // Each member loses its 18 bytes of framing and gains at most 5.
  CHECK(joined->size() <= members_size);
  CHECK(test::GunzipOneMember(*joined) == want);
}

TEST_CASE("lists that do not match their data are refused") {
  const std::string a(3000, 'a'), b(7000, 'b');
  std::string framed;
  AppendMember(framed, test::ZlibGzip(a, 6));
  AppendMember(framed, test::ZlibGzip(b, 6));
  CHECK(JoinGzipMembers(framed, a.size() + b.size()).ok());
  CHECK_FALSE(JoinGzipMembers(framed, a.size() + b.size() + 1).ok());
  CHECK_FALSE(JoinGzipMembers(framed.substr(0, framed.size() - 1), a.size() + b.size()).ok());
  CHECK_FALSE(JoinGzipMembers("", 0).ok());
  CHECK_FALSE(JoinGzipMembers("\x05\x00\x00\x00hello", 5).ok());

  // The first member's first block given the reserved block type 11.
  std::string damaged = framed;
  damaged[4 + 10] = static_cast<char>(damaged[4 + 10] | 0x06);
  CHECK_FALSE(JoinGzipMembers(damaged, a.size() + b.size()).ok());
  // Not gzip's magic.
  damaged = framed;
  damaged[4] = 'x';
  CHECK_FALSE(JoinGzipMembers(damaged, a.size() + b.size()).ok());

  // Bytes between a member's DEFLATE stream and its trailer.
  std::string first = test::ZlibGzip(a, 6);
  first.insert(first.size() - 8, "junk");
  std::string padded;
  AppendMember(padded, first);
  AppendMember(padded, test::ZlibGzip(b, 6));
  CHECK_FALSE(JoinGzipMembers(padded, a.size() + b.size()).ok());
}

TEST_CASE("members made at a fast level are not worth keeping") {
  const std::string data(10000, 'q');
  CHECK(WorthKeeping(test::ZlibGzip(data, 6)));
  CHECK(WorthKeeping(test::ZlibGzip(data, 9)));
  CHECK(WorthKeeping(GoStyleGzip(data)));
  CHECK_FALSE(WorthKeeping(test::ZlibGzip(data, 1)));
  CHECK_FALSE(WorthKeeping("not gzip at all, not at all"));
}
