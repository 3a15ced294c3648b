#include "config/compression/compressor.h"

#include <random>

#include <catch2/catch.hpp>

#include "receivers/otlp/body_decoder.h"

using namespace otlpd;
using config::compression::Compression;
using config::compression::Compressor;
using config::compression::ContentEncoding;
using config::compression::ParseCompression;
using config::compression::ValidLevel;

namespace {

// What otlpd's own receiver makes of a body sent with this Content-Encoding.
std::string DecodeAsReceiver(Compression c, std::string_view body) {
  auto encoding = receivers::otlp::ParseEncoding(ContentEncoding(c));
  REQUIRE(encoding.has_value());
  auto decoder = receivers::otlp::BodyDecoder::Create(*encoding, 64 << 20);
  // In pieces, as a body arrives from the network.
  for (std::size_t off = 0; off < body.size(); off += 1000) {
    REQUIRE(decoder->Feed(body.substr(off, 1000)) == receivers::otlp::DecodeOutcome::kOk);
  }
  INFO(decoder->error());
  REQUIRE(decoder->Finish() == receivers::otlp::DecodeOutcome::kOk);
  std::string out;
  REQUIRE(decoder->TakeBody(&out) == receivers::otlp::DecodeOutcome::kOk);
  return out;
}

std::string Sample(std::size_t n, bool random) {
  std::string s(n, '\0');
  std::mt19937 rng(42);
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = random ? static_cast<char>(rng() & 0xff) : "resourceSpans service.name checkout GET /api"[i % 44];
  }
  return s;
}

}  // namespace

TEST_CASE("every compression round-trips through otlpd's receiver decoder") {
  const Compression c =
      GENERATE(Compression::kNone, Compression::kGzip, Compression::kZlib, Compression::kDeflate,
               Compression::kZstd, Compression::kSnappy, Compression::kSnappyFramed, Compression::kLz4);
  const int level = GENERATE(0, -1, 1, 9);
  if (!ValidLevel(c, level)) return;
  CAPTURE(ContentEncoding(c), level);
  Compressor compressor(c, level);
  // Empty, small, several snappy chunks of text, and incompressible bytes
  // (which framed snappy stores uncompressed).
  for (const std::string& input :
       {std::string(), std::string("x"), Sample(300000, false), Sample(150000, true)}) {
    CAPTURE(input.size());
    auto out = compressor.Compress(input);
    REQUIRE(out.ok());
    if (c == Compression::kNone) {
      CHECK(out->data() == input.data());  // no copy
    } else if (input.size() == 300000) {
      CHECK(out->size() < input.size() / 4);  // it did compress
    }
    CHECK(DecodeAsReceiver(c, *out) == input);
  }
}

TEST_CASE("gzip levels change the output as otelcol's levels would") {
  const std::string input = Sample(200000, false) + Sample(50000, true);
  Compressor fast(Compression::kGzip, 1), best(Compression::kGzip, 9), deflt(Compression::kGzip, 0),
      go_default(Compression::kGzip, -1), huffman(Compression::kGzip, -2);
  const std::string a(*fast.Compress(input)), b(*best.Compress(input)), d(*deflt.Compress(input)),
      g(*go_default.Compress(input)), h(*huffman.Compress(input));
  CHECK(b.size() <= a.size());
  CHECK(d == g);  // unset and -1 are both Go's DefaultCompression
  CHECK(h == a);  // Huffman-only has no libdeflate counterpart: the fastest level
  CHECK(DecodeAsReceiver(Compression::kGzip, b) == input);
}

TEST_CASE("compression names and levels are otelcol's") {
  CHECK(ParseCompression("") == Compression::kNone);
  CHECK(ParseCompression("none") == Compression::kNone);
  CHECK(ParseCompression("x-snappy-framed") == Compression::kSnappyFramed);
  CHECK_FALSE(ParseCompression("br").has_value());
  CHECK_FALSE(ParseCompression("GZIP").has_value());  // otelcol matches case-sensitively
  CHECK(ContentEncoding(Compression::kDeflate) == "deflate");
  CHECK(ContentEncoding(Compression::kNone).empty());
  CHECK(ValidLevel(Compression::kGzip, -2));
  CHECK(ValidLevel(Compression::kZlib, 9));
  CHECK_FALSE(ValidLevel(Compression::kDeflate, 10));
  CHECK_FALSE(ValidLevel(Compression::kGzip, -3));
  CHECK(ValidLevel(Compression::kZstd, 19));
  CHECK(ValidLevel(Compression::kLz4, 0));
  CHECK_FALSE(ValidLevel(Compression::kSnappy, 1));
}

TEST_CASE("CompressorPool lends one compressor per concurrent request and reuses them") {
  config::compression::CompressorPool pool(Compression::kGzip, 0);
  const std::string plain = Sample(200000, false);
  Compressor* first = nullptr;
  {
    auto a = pool.Take();
    auto b = pool.Take();
    first = a.get();
    CHECK(a.get() != b.get());  // two at once: two compressors
    auto ga = a->CompressToString(plain);
    auto gb = b->CompressToString(Sample(1000, true));
    REQUIRE(ga.ok());
    REQUIRE(gb.ok());
    CHECK(DecodeAsReceiver(Compression::kGzip, *ga) == plain);
    CHECK(DecodeAsReceiver(Compression::kGzip, *gb) == Sample(1000, true));
    // The string handed out is the compressed size, not the buffer's room.
    CHECK(ga->size() < plain.size() / 4);
  }
  // Both went back; the last one returned is lent first.
  auto c = pool.Take();
  auto d = pool.Take();
  CHECK((c.get() == first || d.get() == first));
  auto gc = c->CompressToString(plain);
  REQUIRE(gc.ok());
  CHECK(DecodeAsReceiver(Compression::kGzip, *gc) == plain);
}
