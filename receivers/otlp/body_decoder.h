#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "component/receive_budget.h"

namespace otlpd::receivers::otlp {

// HTTP Content-Encodings of request bodies, named as in otelcol's
// confighttp `compression_algorithms`.
enum class Encoding {
  kIdentity,      // "" (also "identity" and "none" on the wire)
  kGzip,          // "gzip": gzip members, several may follow each other
  kZlib,          // "zlib"
  kDeflate,       // "deflate": zlib as Go's confighttp reads it, raw DEFLATE accepted too
  kZstd,          // "zstd": one or more frames
  kSnappy,        // "snappy": block format, or framed when the body starts like a framed stream
  kSnappyFramed,  // "x-snappy-framed"
  kLz4,           // "lz4": LZ4 frame format
};

// The encoding a Content-Encoding header names (case-insensitive, trimmed);
// nullopt for anything else, including lists of several codings.
std::optional<Encoding> ParseEncoding(std::string_view header);
// The name compression_algorithms uses for it ("" for identity).
std::string_view EncodingName(Encoding e);

enum class DecodeOutcome {
  kOk,
  kTooLarge,  // the output would pass the limit: stop reading, answer 413
  kCorrupt,   // not a valid stream of the encoding: answer 400
  kBusy,      // the receive budget has no room now: answer 429, retry later
};

// Decompresses a request body handed over in pieces as it arrives, so that a
// decompression bomb is stopped when its output reaches the limit, not after
// it was inflated. The output is kept in blocks that are never copied to
// grow (a doubling std::string touches about twice its final size on the
// way, all of it resident once malloc serves it from the heap), so a body
// cut off at the limit holds at most the limit. The decoder's own state is
// bounded too: zstd windows are capped to what the limit can need, snappy
// and lz4 blocks are at most a few MiB.
class BodyDecoder {
 public:
  // `limit` is the most decompressed bytes accepted (max_request_body_size).
  // `lease` (may be null) takes from the receive budget every block before it
  // is allocated, and the decompressor's state as it grows; a budget that
  // refuses ends the body with kBusy, or kTooLarge when the body alone would
  // need more than the whole budget.
  static std::unique_ptr<BodyDecoder> Create(Encoding encoding, std::size_t limit,
                                             BudgetLease* lease = nullptr);
  virtual ~BodyDecoder() = default;

  // The decoded size when it is known up front (an uncompressed body with a
  // Content-Length): the body is then kept in one piece, taken from the
  // budget at once (so a request that cannot fit is refused before its body
  // is read).
  DecodeOutcome Reserve(std::size_t n);
  // Decodes the next piece of the body.
  DecodeOutcome Feed(std::string_view in) { return Counted(DoFeed(in)); }
  // The body ended: kCorrupt when the stream is incomplete.
  DecodeOutcome Finish() { return Counted(DoFinish()); }
  // Feed and Finish for a body that is all here (a gRPC message): gzip then
  // inflates in one call with libdeflate, 2.5 times faster than zlib's
  // stream in the bench's gzip scenario.
  DecodeOutcome DecodeWhole(std::string_view in) { return Counted(DoDecodeWhole(in)); }
  // After DecodeWhole or Finish returned kOk: the input was exactly one gzip
  // member (whose CRC and size were checked), so it can be handed on as the
  // payload's gzip (component/payload.h).
  bool one_gzip_member() const { return one_gzip_member_; }
  // The decoded body, after Finish returned kOk. One copy when the body came
  // in more than one block (taken from the budget first: kBusy or kTooLarge
  // when it has no room), none otherwise.
  DecodeOutcome TakeBody(std::string* body);
  std::size_t size() const { return size_; }
  // What was wrong, after kCorrupt, kTooLarge or kBusy.
  const std::string& error() const { return error_; }
  // Whether the receive budget, not max_request_body_size, ended the body.
  bool budget_refused() const { return budget_outcome_ != DecodeOutcome::kOk; }

 protected:
  explicit BodyDecoder(std::size_t limit) : limit_(limit) {}
  virtual DecodeOutcome DoFeed(std::string_view in) = 0;
  virtual DecodeOutcome DoFinish() = 0;
  virtual DecodeOutcome DoDecodeWhole(std::string_view in) {
    DecodeOutcome r = DoFeed(in);
    return r == DecodeOutcome::kOk ? DoFinish() : r;
  }
  // Bytes the decompressor allocated for its own state (a zstd window), which
  // a frame header decides: counted after each piece.
  virtual std::size_t StateBytes() const { return 0; }

  // Appends within the limit; false (and sets the error) when it does not fit.
  bool Append(const char* data, std::size_t n);
  // Room for exactly n more bytes, to be written by the caller; nullptr (and
  // the error set) when they do not fit the limit.
  char* Extend(std::size_t n);
  // Gives back the last n bytes Extend made room for (not written after
  // all); the budget keeps them until TakeBody settles it.
  void Unextend(std::size_t n);
  DecodeOutcome Fail(DecodeOutcome outcome, std::string error) {
    error_ = std::move(error);
    return outcome;
  }
  // Takes n bytes from the budget before they are allocated; false (the
  // error set, and Feed/Finish report kBusy or kTooLarge) when it refuses.
  bool Take(std::size_t n);

  std::size_t limit_;
  std::string error_;
  bool one_gzip_member_ = false;

 private:
  bool Fits(std::size_t n);
  DecodeOutcome Counted(DecodeOutcome r);

  BudgetLease* lease_ = nullptr;
  std::size_t state_counted_ = 0;
  DecodeOutcome budget_outcome_ = DecodeOutcome::kOk;  // why Take last failed

  std::vector<std::string> blocks_;  // each filled up to its capacity before the next
  std::size_t size_ = 0;
};

}  // namespace otlpd::receivers::otlp
