#include "config/compression/compressor.h"

#include <libdeflate.h>
#include <lz4frame.h>
#include <snappy.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>

#include "internal/crc32c.h"

namespace otlpd::config::compression {
namespace {

// Go's compress/flate levels (configcompression's for gzip, zlib, deflate).
constexpr int kGoHuffmanOnly = -2;
constexpr int kGoDefaultCompression = -1;
constexpr int kGoDefaultLevel = 6;  // what compress/flate does for DefaultCompression

int LibdeflateLevel(int go_level) {
  if (go_level == 0 || go_level == kGoDefaultCompression) return kGoDefaultLevel;
  if (go_level == kGoHuffmanOnly) return 1;
  return std::clamp(go_level, 1, 9);
}

int ZstdLevel(int level) {
  // Unset (and Go's -1) is otelcol's default, the encoder's fastest speed.
  if (level <= 0) return 1;
  return std::min(level, ZSTD_maxCLevel());
}

constexpr std::string_view kSnappyStreamHeader{"\xff\x06\x00\x00sNaPpY", 10};
constexpr std::size_t kSnappyChunk = 65536;  // the framing format's most uncompressed bytes per chunk

void PutLe24(char* p, std::size_t v) {
  p[0] = static_cast<char>(v & 0xff);
  p[1] = static_cast<char>((v >> 8) & 0xff);
  p[2] = static_cast<char>((v >> 16) & 0xff);
}

void PutLe32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

std::optional<Compression> ParseCompression(std::string_view name) {
  if (name.empty() || name == "none") return Compression::kNone;
  if (name == "gzip") return Compression::kGzip;
  if (name == "zlib") return Compression::kZlib;
  if (name == "deflate") return Compression::kDeflate;
  if (name == "zstd") return Compression::kZstd;
  if (name == "snappy") return Compression::kSnappy;
  if (name == "x-snappy-framed") return Compression::kSnappyFramed;
  if (name == "lz4") return Compression::kLz4;
  return std::nullopt;
}

std::string_view ContentEncoding(Compression c) {
  switch (c) {
    case Compression::kNone: return "";
    case Compression::kGzip: return "gzip";
    case Compression::kZlib: return "zlib";
    case Compression::kDeflate: return "deflate";
    case Compression::kZstd: return "zstd";
    case Compression::kSnappy: return "snappy";
    case Compression::kSnappyFramed: return "x-snappy-framed";
    case Compression::kLz4: return "lz4";
  }
  return "";
}

bool ValidLevel(Compression c, int level) {
  switch (c) {
    case Compression::kGzip:
    case Compression::kZlib:
    case Compression::kDeflate: return level >= kGoHuffmanOnly && level <= 9;
    case Compression::kZstd: return true;
    default: return level == 0;
  }
}

struct Compressor::Contexts {
  libdeflate_compressor* deflate = nullptr;
  ZSTD_CCtx* zstd = nullptr;
  std::string scratch;  // framed snappy: one chunk compressed

  ~Contexts() {
    if (deflate != nullptr) libdeflate_free_compressor(deflate);
    ZSTD_freeCCtx(zstd);
  }
};

Compressor::Compressor(Compression compression, int level)
    : compression_(compression), level_(level), contexts_(std::make_unique<Contexts>()) {
  switch (compression_) {
    case Compression::kGzip:
    case Compression::kZlib:
    case Compression::kDeflate:
      level_ = LibdeflateLevel(level);
      contexts_->deflate = libdeflate_alloc_compressor(level_);
      break;
    case Compression::kZstd:
      level_ = ZstdLevel(level);
      contexts_->zstd = ZSTD_createCCtx();
      if (contexts_->zstd != nullptr) {
        ZSTD_CCtx_setParameter(contexts_->zstd, ZSTD_c_compressionLevel, level_);
        // A checksum lets the receiver tell a damaged body from a valid one.
        ZSTD_CCtx_setParameter(contexts_->zstd, ZSTD_c_checksumFlag, 1);
      }
      break;
    default: break;
  }
}

Compressor::~Compressor() = default;

Result<std::string_view> Compressor::Compress(std::string_view in) { return CompressInto(in, out_); }

Result<std::string> Compressor::CompressToString(std::string_view in) {
  // Through the kept buffer, then copied: the compressed bytes are a small
  // part of the bound the buffer must have room for.
  auto r = Compress(in);
  if (!r.ok()) return r.status();
  return std::string(*r);
}

Result<std::string_view> Compressor::CompressInto(std::string_view in, std::string& buf) {
  // Only ever grows, so the zero-fill of resize() is paid once per new size.
  auto reserve = [&buf](std::size_t n) {
    if (buf.size() < n) buf.resize(n);
    return buf.data();
  };
  switch (compression_) {
    case Compression::kNone: return in;
    case Compression::kGzip:
    case Compression::kZlib:
    case Compression::kDeflate: {
      libdeflate_compressor* c = contexts_->deflate;
      if (c == nullptr) return Status::Internal("cannot allocate a deflate compressor");
      const bool gzip = compression_ == Compression::kGzip;
      const std::size_t bound =
          gzip ? libdeflate_gzip_compress_bound(c, in.size()) : libdeflate_zlib_compress_bound(c, in.size());
      char* dst = reserve(bound);
      const std::size_t n = gzip ? libdeflate_gzip_compress(c, in.data(), in.size(), dst, bound)
                                 : libdeflate_zlib_compress(c, in.data(), in.size(), dst, bound);
      if (n == 0) return Status::Internal("deflate compression failed");
      return std::string_view(dst, n);
    }
    case Compression::kZstd: {
      if (contexts_->zstd == nullptr) return Status::Internal("cannot allocate a zstd compressor");
      const std::size_t bound = ZSTD_compressBound(in.size());
      char* dst = reserve(bound);
      const std::size_t n = ZSTD_compress2(contexts_->zstd, dst, bound, in.data(), in.size());
      if (ZSTD_isError(n))
        return Status::Internal(std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
      return std::string_view(dst, n);
    }
    case Compression::kSnappy: {
      char* dst = reserve(snappy::MaxCompressedLength(in.size()));
      std::size_t n = 0;
      snappy::RawCompress(in.data(), in.size(), dst, &n);
      return std::string_view(dst, n);
    }
    case Compression::kSnappyFramed: {
      const std::size_t chunks = (in.size() + kSnappyChunk - 1) / kSnappyChunk;
      const std::size_t bound =
          kSnappyStreamHeader.size() + chunks * (8 + snappy::MaxCompressedLength(kSnappyChunk));
      char* dst = reserve(bound);
      std::size_t pos = kSnappyStreamHeader.size();
      std::copy(kSnappyStreamHeader.begin(), kSnappyStreamHeader.end(), dst);
      std::string& scratch = contexts_->scratch;
      if (scratch.size() < snappy::MaxCompressedLength(kSnappyChunk)) {
        scratch.resize(snappy::MaxCompressedLength(kSnappyChunk));
      }
      for (std::size_t off = 0; off < in.size(); off += kSnappyChunk) {
        const std::string_view chunk = in.substr(off, kSnappyChunk);
        const std::uint32_t masked = SnappyMaskedCrc32c(chunk);
        std::size_t n = 0;
        snappy::RawCompress(chunk.data(), chunk.size(), scratch.data(), &n);
        // Incompressible data goes in an uncompressed chunk, as Go's writer does.
        const bool compressed = n < chunk.size();
        const std::string_view data = compressed ? std::string_view(scratch.data(), n) : chunk;
        dst[pos] = static_cast<char>(compressed ? 0x00 : 0x01);
        PutLe24(dst + pos + 1, data.size() + 4);
        PutLe32(dst + pos + 4, masked);
        std::copy(data.begin(), data.end(), dst + pos + 8);
        pos += 8 + data.size();
      }
      return std::string_view(dst, pos);
    }
    case Compression::kLz4: {
      LZ4F_preferences_t prefs{};
      prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
      prefs.frameInfo.contentSize = in.size();
      const std::size_t bound = LZ4F_compressFrameBound(in.size(), &prefs);
      char* dst = reserve(bound);
      const std::size_t n = LZ4F_compressFrame(dst, bound, in.data(), in.size(), &prefs);
      if (LZ4F_isError(n))
        return Status::Internal(std::string("lz4 compression failed: ") + LZ4F_getErrorName(n));
      return std::string_view(dst, n);
    }
  }
  return Status::Internal("unknown compression");
}

CompressorPool::Lease CompressorPool::Take() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Compressor> c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
  }
  return Lease(this, std::make_unique<Compressor>(compression_, level_));
}

void CompressorPool::Return(std::unique_ptr<Compressor> c) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(c));
}

}  // namespace otlpd::config::compression
