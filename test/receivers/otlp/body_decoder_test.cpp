#include "receivers/otlp/body_decoder.h"

#include <catch2/catch.hpp>

#include "receivers/otlp/cors.h"
#include "test/receivers/otlp/requests.h"

using namespace otlpd::receivers::otlp;
using otlpd::BudgetLease;
using otlpd::ReceiveBudget;
using otlpd::receivers::otlp::DecodeOutcome;

namespace {

// Feeds `wire` in pieces of `step` bytes; returns the outcome and the output.
std::pair<DecodeOutcome, std::string> Decode(Encoding e, const std::string& wire, std::size_t limit,
                                             std::size_t step) {
  auto d = BodyDecoder::Create(e, limit);
  for (std::size_t off = 0; off < wire.size(); off += step) {
    DecodeOutcome r = d->Feed(std::string_view(wire).substr(off, step));
    if (r != DecodeOutcome::kOk) return {r, ""};
  }
  DecodeOutcome r = d->Finish();
  std::string body;
  if (r == DecodeOutcome::kOk) r = d->TakeBody(&body);
  return {r, body};
}

std::string Sample() {
  std::string s;
  for (int i = 0; i < 20000; ++i) s += "span " + std::to_string(i * 7919 % 1000) + ";";
  return s;
}

}  // namespace

TEST_CASE("BodyDecoder decodes every encoding fed in any piece size") {
  const std::string plain = Sample();
  const std::vector<std::pair<Encoding, std::string>> cases = {
      {Encoding::kIdentity, plain},
      {Encoding::kGzip, otlpd::test::Deflate(plain, 31)},
      {Encoding::kZlib, otlpd::test::Deflate(plain, 15)},
      {Encoding::kDeflate, otlpd::test::Deflate(plain, 15)},
      {Encoding::kDeflate, otlpd::test::Deflate(plain, -15)},
      {Encoding::kZstd, otlpd::test::Zstd(plain)},
      {Encoding::kSnappy, otlpd::test::SnappyBlock(plain)},
      {Encoding::kSnappy, otlpd::test::SnappyFramed(plain)},
      {Encoding::kSnappyFramed, otlpd::test::SnappyFramed(plain)},
      {Encoding::kLz4, otlpd::test::Lz4(plain)},
  };
  for (const auto& [encoding, wire] : cases) {
    for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, wire.size()}) {
      INFO(EncodingName(encoding) << " in pieces of " << step);
      auto [r, out] = Decode(encoding, wire, plain.size(), step);
      CHECK(r == DecodeOutcome::kOk);
      CHECK(out == plain);
      // One byte less room is too little.
      CHECK(Decode(encoding, wire, plain.size() - 1, step).first == DecodeOutcome::kTooLarge);
    }
  }
}

TEST_CASE("BodyDecoder rejects truncated and corrupt streams") {
  const std::string plain = Sample();
  for (const auto& [encoding, wire] : std::vector<std::pair<Encoding, std::string>>{
           {Encoding::kGzip, otlpd::test::Deflate(plain, 31)},
           {Encoding::kZlib, otlpd::test::Deflate(plain, 15)},
           {Encoding::kZstd, otlpd::test::Zstd(plain)},
           {Encoding::kSnappy, otlpd::test::SnappyBlock(plain)},
           {Encoding::kSnappyFramed, otlpd::test::SnappyFramed(plain)},
           {Encoding::kLz4, otlpd::test::Lz4(plain)},
       }) {
    INFO(EncodingName(encoding));
    CHECK(Decode(encoding, wire.substr(0, wire.size() / 2), 1 << 20, 100).first == DecodeOutcome::kCorrupt);
    std::string flipped = wire;
    for (std::size_t i = wire.size() / 3; i < wire.size() / 3 + 8; ++i)
      flipped[i] = static_cast<char>(~flipped[i]);
    // zstd frames without a checksum may decode flipped literals to other bytes.
    auto [r, out] = Decode(encoding, flipped, 1 << 20, 100);
    CHECK((r != DecodeOutcome::kOk || out != plain));
    CHECK(Decode(encoding, "", 1 << 20, 1).first == DecodeOutcome::kCorrupt);
  }
}

TEST_CASE("ParseEncoding") {
  CHECK(ParseEncoding("") == Encoding::kIdentity);
  CHECK(ParseEncoding(" GZip ") == Encoding::kGzip);
  CHECK(ParseEncoding("x-snappy-framed") == Encoding::kSnappyFramed);
  CHECK_FALSE(ParseEncoding("br").has_value());
  CHECK_FALSE(ParseEncoding("gzip, zstd").has_value());
}

TEST_CASE("Cors origin matching follows rs/cors") {
  CorsConfig c;
  c.allowed_origins = {"https://*.example.com", "http://A.local"};
  Cors cors(c);
  CHECK(cors.OriginAllowed("https://x.example.com"));
  CHECK(cors.OriginAllowed("http://a.local"));
  CHECK_FALSE(cors.OriginAllowed("https://example.com.evil.org"));
  CHECK_FALSE(cors.OriginAllowed("http://b.local"));
  CorsConfig all;
  all.allowed_origins = {"*"};
  Cors any(all);
  CHECK(any.OriginAllowed("http://whatever"));
  auto h = any.Actual("http://whatever", "POST");
  bool star = false;
  for (const auto& [k, v] : h) star |= k == "Access-Control-Allow-Origin" && v == "*";
  CHECK(star);
}

TEST_CASE("BodyDecoder ends on every input, within its limit") {
  // A framed snappy stream with an empty chunk once made the decoder spin.
  const std::string empty_chunk =
      std::string("\xff\x06\x00\x00sNaPpY", 10) + std::string("\x00\x00\x00\x00zz", 6);
  CHECK(Decode(Encoding::kSnappyFramed, empty_chunk, 1 << 20, 1).first == DecodeOutcome::kCorrupt);
  CHECK(Decode(Encoding::kSnappyFramed, empty_chunk, 1 << 20, 100).first == DecodeOutcome::kCorrupt);
  // Random bytes, and random bytes behind each format's magic, in random pieces.
  std::uint64_t x = 88172645463325252ULL;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const std::vector<std::string> magics = {"",
                                           "\x1f\x8b\x08",
                                           "\x78\x9c",
                                           std::string("\x28\xb5\x2f\xfd", 4),
                                           std::string("\xff\x06\x00\x00sNaPpY", 10),
                                           "\x04\x22\x4d\x18"};
  for (int round = 0; round < 3000; ++round) {
    std::string wire = magics[next() % magics.size()];
    const std::size_t n = next() % 300;
    for (std::size_t i = 0; i < n; ++i) wire.push_back(static_cast<char>(next()));
    const auto e = static_cast<Encoding>(next() % 8);
    auto [r, out] = Decode(e, wire, 4096, 1 + next() % 50);
    CHECK(out.size() <= 4096);
  }
}

namespace {

std::pair<DecodeOutcome, std::string> DecodeWhole(Encoding e, const std::string& wire, std::size_t limit,
                                                  BudgetLease* lease = nullptr) {
  auto d = BodyDecoder::Create(e, limit, lease);
  DecodeOutcome r = d->DecodeWhole(wire);
  std::string body;
  if (r == DecodeOutcome::kOk) r = d->TakeBody(&body);
  return {r, body};
}

// The gzip trailer's ISIZE set to `v`, its CRC left as it was.
std::string WithIsize(std::string gz, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) gz[gz.size() - 4 + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return gz;
}

}  // namespace

TEST_CASE("BodyDecoder::DecodeWhole gives what Feed and Finish give, gzip's fast path included") {
  const std::string plain = Sample();
  const std::string gz = otlpd::test::Deflate(plain, 31);
  for (const auto& [encoding, wire] : std::vector<std::pair<Encoding, std::string>>{
           {Encoding::kIdentity, plain},
           {Encoding::kGzip, gz},
           {Encoding::kZlib, otlpd::test::Deflate(plain, 15)},
           {Encoding::kZstd, otlpd::test::Zstd(plain)},
           {Encoding::kLz4, otlpd::test::Lz4(plain)},
       }) {
    INFO(EncodingName(encoding));
    auto [r, out] = DecodeWhole(encoding, wire, plain.size());
    CHECK(r == DecodeOutcome::kOk);
    CHECK(out == plain);
    CHECK(DecodeWhole(encoding, wire, plain.size() - 1).first == DecodeOutcome::kTooLarge);
    if (encoding != Encoding::kIdentity) {
      CHECK(DecodeWhole(encoding, wire.substr(0, wire.size() / 2), 1 << 20).first == DecodeOutcome::kCorrupt);
    }
  }

  SECTION("two gzip members decode as one body, as Go's reader reads them") {
    const std::string half = plain.substr(0, plain.size() / 2);
    const std::string two =
        otlpd::test::Deflate(half, 31) + otlpd::test::Deflate(plain.substr(half.size()), 31);
    auto [r, out] = DecodeWhole(Encoding::kGzip, two, plain.size());
    CHECK(r == DecodeOutcome::kOk);
    CHECK(out == plain);
  }
  SECTION("a trailer whose size lies changes nothing but the path taken") {
    // Too small and too large: libdeflate's output does not match, zlib's stream then fails on the
    // size check exactly as it does when fed in pieces.
    for (std::uint32_t lie : {std::uint32_t{1}, static_cast<std::uint32_t>(plain.size() + 100)}) {
      const std::string wire = WithIsize(gz, lie);
      auto whole = DecodeWhole(Encoding::kGzip, wire, 1 << 20);
      auto pieces = Decode(Encoding::kGzip, wire, 1 << 20, 4096);
      CHECK(whole.first == pieces.first);
      CHECK(whole.first == DecodeOutcome::kCorrupt);
    }
  }
  SECTION("a damaged body fails with zlib's words") {
    std::string flipped = gz;
    for (std::size_t i = gz.size() / 3; i < gz.size() / 3 + 8; ++i)
      flipped[i] = static_cast<char>(~flipped[i]);
    auto d = BodyDecoder::Create(Encoding::kGzip, 1 << 20);
    CHECK(d->DecodeWhole(flipped) == DecodeOutcome::kCorrupt);
    CHECK_THAT(d->error(), Catch::Matchers::StartsWith("invalid gzip data"));
  }
  SECTION("the receive budget is charged before the block is made, and settled after") {
    ReceiveBudget budget(8 << 20);
    BudgetLease lease(&budget);
    auto [r, out] = DecodeWhole(Encoding::kGzip, gz, 1 << 20, &lease);
    REQUIRE(r == DecodeOutcome::kOk);
    CHECK(out == plain);
    CHECK(lease.held() == out.capacity());
    // A body that claims more than the budget holds is refused, and says why.
    ReceiveBudget tiny(plain.size() / 10);
    BudgetLease small(&tiny);
    auto d = BodyDecoder::Create(Encoding::kGzip, 1 << 20, &small);
    CHECK(d->DecodeWhole(gz) == DecodeOutcome::kTooLarge);
    CHECK(d->budget_refused());
    CHECK(tiny.used() <= tiny.capacity());
  }
}
