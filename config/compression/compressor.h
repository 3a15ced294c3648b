#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "internal/status.h"

namespace otlpd::config::compression {

// Request body compressions, named as otelcol's configcompression names them
// (which is also the Content-Encoding sent).
enum class Compression {
  kNone,          // "none" or ""
  kGzip,          // "gzip"
  kZlib,          // "zlib"
  kDeflate,       // "deflate": zlib format, as Go's confighttp writes it
  kZstd,          // "zstd"
  kSnappy,        // "snappy": the block format (otelcol's behaviour once its framed-snappy gate is on)
  kSnappyFramed,  // "x-snappy-framed": the framing format
  kLz4,           // "lz4": the LZ4 frame format
};

// nullopt for a name otelcol does not know.
std::optional<Compression> ParseCompression(std::string_view name);
// The Content-Encoding header value; empty for kNone.
std::string_view ContentEncoding(Compression c);
// Whether compression_params.level may be `level` for `c`, as otelcol's
// configcompression validates it: gzip/zlib/deflate -2..9, zstd any, the
// others only 0 (unset).
bool ValidLevel(Compression c, int level);

// Compresses request bodies. Holds its library contexts and output buffer
// between calls, so one per sending thread avoids allocating on every
// request; not thread-safe.
//
// Levels follow otelcol's meaning. `level` 0 is "not set" and means Go's
// default: gzip/zlib/deflate level 6 (compress/flate's DefaultCompression,
// which libdeflate's level 6 matches in intent; libdeflate is used for its
// speed, several times zlib's at the same ratio), zstd level 1 (the Go zstd
// encoder's SpeedFastest, which otelcol's default maps to). Go's -2
// (Huffman only) has no libdeflate counterpart and uses libdeflate level 1,
// its fastest with matching. An explicit zstd level is passed to libzstd
// as is (Go rounds it to one of four speeds).
class Compressor {
 public:
  Compressor(Compression compression, int level);
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  Compression compression() const { return compression_; }

  // The compressed form of `in`, valid until the next call. kNone returns
  // `in` itself. Internal only when a library fails (out of memory).
  Result<std::string_view> Compress(std::string_view in);
  // The compressed form of `in` in a string of its own (`in` copied for
  // kNone), for a caller that hands the bytes on.
  Result<std::string> CompressToString(std::string_view in);

 private:
  struct Contexts;

  // Compresses into `buf`, which only ever grows; kNone returns `in`.
  Result<std::string_view> CompressInto(std::string_view in, std::string& buf);

  Compression compression_;
  int level_;  // the library's level, resolved from otelcol's
  std::unique_ptr<Contexts> contexts_;
  std::string out_;  // grows to the largest body seen and stays
};

// Compressors shared by the threads of one exporter: a sender takes one for
// a request and gives it back, so there are as many as requests compressed
// at once (one or two at a steady rate), each keeping its library state and
// output buffer for the next request. A compressor per call would allocate
// libdeflate's level-6 state (656 KiB) every time, and glibc keeps such
// blocks in every sending thread's arena: +7 MiB of RSS in the gzip bench.
class CompressorPool {
 public:
  CompressorPool(Compression compression, int level) : compression_(compression), level_(level) {}

  // Gives the compressor back to the pool when it goes.
  class Lease {
   public:
    Lease(CompressorPool* pool, std::unique_ptr<Compressor> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (c_) pool_->Return(std::move(c_));
    }
    Compressor* operator->() const { return c_.get(); }
    Compressor* get() const { return c_.get(); }

   private:
    CompressorPool* pool_;
    std::unique_ptr<Compressor> c_;
  };

  Lease Take();

 private:
  void Return(std::unique_ptr<Compressor> c);

  const Compression compression_;
  const int level_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Compressor>> idle_;
};

}  // namespace otlpd::config::compression
