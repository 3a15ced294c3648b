#include "receivers/otlp/body_decoder.h"

#include <libdeflate.h>
#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "internal/crc32c.h"
#include "internal/little_endian.h"
#include "internal/text.h"

namespace otlpd::receivers::otlp {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

class IdentityDecoder final : public BodyDecoder {
 public:
  explicit IdentityDecoder(std::size_t limit) : BodyDecoder(limit) {}
  DecodeOutcome DoFeed(std::string_view in) override {
    return Append(in.data(), in.size()) ? DecodeOutcome::kOk : DecodeOutcome::kTooLarge;
  }
  DecodeOutcome DoFinish() override { return DecodeOutcome::kOk; }
};

// gzip, zlib and raw DEFLATE through zlib's streaming inflate.
class ZlibDecoder final : public BodyDecoder {
 public:
  ZlibDecoder(Encoding encoding, std::size_t limit) : BodyDecoder(limit), encoding_(encoding) {}
  ~ZlibDecoder() override {
    if (initialized_) inflateEnd(&z_);
  }

  DecodeOutcome DoFeed(std::string_view in) override {
    if (!initialized_) {
      if (encoding_ != Encoding::kDeflate) {
        if (!Init(encoding_ == Encoding::kGzip ? 16 + MAX_WBITS : MAX_WBITS)) return InitFailed();
      } else {
        // "deflate" is zlib for Go's confighttp and raw DEFLATE for some other
        // clients: a zlib stream starts with a method byte and a header whose
        // 16 bits are a multiple of 31, so look at two bytes first.
        if (head_.size() + in.size() < 2) {
          head_.append(in);
          return DecodeOutcome::kOk;
        }
        const std::string first = head_ + std::string(in.substr(0, 2 - head_.size()));
        const auto b0 = static_cast<unsigned char>(first[0]), b1 = static_cast<unsigned char>(first[1]);
        const bool zlib_header = (b0 & 0x0f) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0;
        if (!Init(zlib_header ? MAX_WBITS : -MAX_WBITS)) return InitFailed();
        const std::string held = std::move(head_);
        head_.clear();
        if (DecodeOutcome r = Inflate(held); r != DecodeOutcome::kOk) return r;
      }
    }
    return Inflate(in);
  }

  // A whole gzip body of one member, inflated by libdeflate into a block of
  // the size its trailer states. Anything else (several members, a trailer
  // that lies, damage) goes through zlib's stream as before, which also
  // words the errors.
  DecodeOutcome DoDecodeWhole(std::string_view in) override {
    constexpr std::size_t kGzipFraming = 18;  // 10-byte header, 8-byte trailer
    if (encoding_ == Encoding::kGzip && !initialized_ && in.size() >= kGzipFraming) {
      const auto* tail = reinterpret_cast<const unsigned char*>(in.data() + in.size() - 4);
      // ISIZE: the member's length mod 2^32, little-endian.
      const std::size_t isize = LoadLe32(tail);
      if (isize > 0 && isize <= limit_ - size()) {
        if (char* dst = Extend(isize)) {
          libdeflate_decompressor* d = libdeflate_alloc_decompressor();
          std::size_t in_used = 0, out_made = 0;
          const libdeflate_result r =
              d == nullptr
                  ? LIBDEFLATE_BAD_DATA
                  : libdeflate_gzip_decompress_ex(d, in.data(), in.size(), dst, isize, &in_used, &out_made);
          if (d != nullptr) libdeflate_free_decompressor(d);
          if (r == LIBDEFLATE_SUCCESS && in_used == in.size() && out_made == isize) {
            one_gzip_member_ = true;
            return DecodeOutcome::kOk;
          }
          Unextend(isize);
        } else if (budget_refused()) {
          return DecodeOutcome::kTooLarge;  // Counted reports the budget's verdict
        }
      }
    }
    return BodyDecoder::DoDecodeWhole(in);
  }

  DecodeOutcome DoFinish() override {
    if (!initialized_ && !head_.empty()) {
      // A deflate body of a single byte: only raw DEFLATE can be that short.
      if (!Init(-MAX_WBITS)) return InitFailed();
      const std::string held = std::move(head_);
      head_.clear();
      if (DecodeOutcome r = Inflate(held); r != DecodeOutcome::kOk) return r;
    }
    if (!initialized_ || !ended_) {
      return Fail(DecodeOutcome::kCorrupt, "truncated " + std::string(EncodingName(encoding_)) + " body");
    }
    one_gzip_member_ = encoding_ == Encoding::kGzip && members_ == 1;
    return DecodeOutcome::kOk;
  }

 private:
  DecodeOutcome Inflate(std::string_view in) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    while (true) {
      if (ended_ && z_.avail_in > 0) {
        // Go's gzip reader reads member after member; zlib streams end at
        // their checksum and what follows is not looked at.
        if (encoding_ != Encoding::kGzip) return DecodeOutcome::kOk;
        if (inflateReset(&z_) != Z_OK) return Fail(DecodeOutcome::kCorrupt, "inflate reset failed");
        ended_ = false;
      }
      if (ended_) return DecodeOutcome::kOk;
      z_.next_out = reinterpret_cast<Bytef*>(buf_.data());
      z_.avail_out = static_cast<uInt>(buf_.size());
      const uInt avail_in_before = z_.avail_in;
      int rc = inflate(&z_, Z_NO_FLUSH);
      const std::size_t produced = buf_.size() - z_.avail_out;
      if (produced > 0 && !Append(buf_.data(), produced)) return DecodeOutcome::kTooLarge;
      if (rc == Z_STREAM_END) {
        ended_ = true;
        ++members_;
        continue;
      }
      if (rc == Z_BUF_ERROR || (rc == Z_OK && produced == 0 && z_.avail_in == avail_in_before)) {
        return DecodeOutcome::kOk;  // needs more input
      }
      if (rc != Z_OK) {
        return Fail(DecodeOutcome::kCorrupt, "invalid " + std::string(EncodingName(encoding_)) +
                                                 " data: " + (z_.msg != nullptr ? z_.msg : "inflate failed"));
      }
      if (z_.avail_in == 0 && z_.avail_out != 0) return DecodeOutcome::kOk;
    }
  }

  bool Init(int window_bits) {
    std::memset(&z_, 0, sizeof z_);
    initialized_ = inflateInit2(&z_, window_bits) == Z_OK;
    return initialized_;
  }
  DecodeOutcome InitFailed() {
    return Fail(DecodeOutcome::kCorrupt, "cannot start inflating (out of memory)");
  }

  Encoding encoding_;
  z_stream z_{};
  bool initialized_ = false;
  bool ended_ = false;
  int members_ = 0;   // gzip members inflated whole
  std::string head_;  // deflate: the first byte, until the second tells zlib from raw
  std::array<char, kChunk> buf_{};
};

class ZstdDecoder final : public BodyDecoder {
 public:
  explicit ZstdDecoder(std::size_t limit) : BodyDecoder(limit), ctx_(ZSTD_createDCtx()) {
    // A frame header may ask for a window of up to 2 GiB, which the decoder
    // would allocate up front. No frame whose output fits the limit needs a
    // window larger than the limit, so cap it there.
    int log = 10;  // ZSTD_WINDOWLOG_ABSOLUTEMIN, behind ZSTD_STATIC_LINKING_ONLY
    while (log < 31 && (std::size_t{1} << log) < limit) ++log;
    if (ctx_ != nullptr) ZSTD_DCtx_setParameter(ctx_, ZSTD_d_windowLogMax, log);
  }
  ~ZstdDecoder() override { ZSTD_freeDCtx(ctx_); }
  std::size_t StateBytes() const override { return ctx_ != nullptr ? ZSTD_sizeof_DCtx(ctx_) : 0; }

  DecodeOutcome DoFeed(std::string_view in) override {
    if (ctx_ == nullptr) return Fail(DecodeOutcome::kCorrupt, "out of memory");
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    std::size_t consumed = 0;
    while (true) {
      ZSTD_outBuffer output{buf_.data(), buf_.size(), 0};
      std::size_t rc = ZSTD_decompressStream(ctx_, &output, &input);
      if (ZSTD_isError(rc)) {
        if (ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge) {
          return Fail(DecodeOutcome::kTooLarge, "zstd window larger than max_request_body_size");
        }
        return Fail(DecodeOutcome::kCorrupt, std::string("invalid zstd data: ") + ZSTD_getErrorName(rc));
      }
      if (output.pos > 0 && !Append(buf_.data(), output.pos)) return DecodeOutcome::kTooLarge;
      // Never spin: a pass that neither takes input nor gives output is the end of it.
      if (input.pos == consumed && output.pos == 0) {
        if (input.pos < input.size) return Fail(DecodeOutcome::kCorrupt, "invalid zstd data: no progress");
        return DecodeOutcome::kOk;
      }
      consumed = input.pos;
      seen_input_ |= input.pos > 0;
      frame_done_ = rc == 0;
      // All input consumed and the output buffer not filled: nothing pending.
      if (input.pos == input.size && output.pos < output.size) return DecodeOutcome::kOk;
    }
  }

  DecodeOutcome DoFinish() override {
    if (!seen_input_ || !frame_done_) return Fail(DecodeOutcome::kCorrupt, "truncated zstd body");
    return DecodeOutcome::kOk;
  }

 private:
  ZSTD_DCtx* ctx_;
  bool seen_input_ = false;
  bool frame_done_ = false;
  std::array<char, kChunk> buf_{};
};

class Lz4Decoder final : public BodyDecoder {
 public:
  explicit Lz4Decoder(std::size_t limit) : BodyDecoder(limit) {
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx_, LZ4F_VERSION))) ctx_ = nullptr;
  }
  ~Lz4Decoder() override { LZ4F_freeDecompressionContext(ctx_); }

  DecodeOutcome DoFeed(std::string_view in) override {
    if (ctx_ == nullptr) return Fail(DecodeOutcome::kCorrupt, "out of memory");
    const char* src = in.data();
    std::size_t left = in.size();
    while (true) {
      std::size_t dst_size = buf_.size();
      std::size_t src_size = left;
      std::size_t rc = LZ4F_decompress(ctx_, buf_.data(), &dst_size, src, &src_size, nullptr);
      if (LZ4F_isError(rc)) {
        return Fail(DecodeOutcome::kCorrupt, std::string("invalid lz4 data: ") + LZ4F_getErrorName(rc));
      }
      src += src_size;
      left -= src_size;
      if (dst_size > 0 && !Append(buf_.data(), dst_size)) return DecodeOutcome::kTooLarge;
      if (src_size == 0 && dst_size == 0) {  // no progress: never spin
        if (left > 0) return Fail(DecodeOutcome::kCorrupt, "invalid lz4 data: no progress");
        return DecodeOutcome::kOk;
      }
      seen_input_ |= src_size > 0;
      frame_done_ = rc == 0;
      if (left == 0 && dst_size < buf_.size()) return DecodeOutcome::kOk;
    }
  }

  DecodeOutcome DoFinish() override {
    if (!seen_input_ || !frame_done_) return Fail(DecodeOutcome::kCorrupt, "truncated lz4 body");
    return DecodeOutcome::kOk;
  }

 private:
  LZ4F_dctx* ctx_ = nullptr;
  bool seen_input_ = false;
  bool frame_done_ = false;
  std::array<char, kChunk> buf_{};
};

constexpr std::string_view kSnappyStreamHeader{"\xff\x06\x00\x00sNaPpY", 10};

// Snappy in both shapes: the block format (one varint length, then the
// compressed block; what otelcol's clients send as "snappy") and the framing
// format (checksummed chunks of at most 64 KiB; "x-snappy-framed", and what
// older clients sent as "snappy"). Like otelcol, "snappy" is sniffed.
class SnappyDecoder final : public BodyDecoder {
 public:
  SnappyDecoder(bool framed_only, std::size_t limit) : BodyDecoder(limit), framed_only_(framed_only) {
    if (framed_only_) mode_ = Mode::kFramed;
  }

  DecodeOutcome DoFeed(std::string_view in) override {
    if (mode_ == Mode::kUndecided) {
      pending_.append(in);
      const std::size_t n = std::min(pending_.size(), kSnappyStreamHeader.size());
      if (pending_.compare(0, n, kSnappyStreamHeader.substr(0, n)) != 0) {
        mode_ = Mode::kBlock;
      } else if (pending_.size() >= kSnappyStreamHeader.size()) {
        mode_ = Mode::kFramed;
      } else {
        return DecodeOutcome::kOk;
      }
      std::string held = std::move(pending_);
      pending_.clear();
      return DoFeed(held);
    }
    if (mode_ == Mode::kBlock) {
      // The whole compressed block is held until the body ends.
      if (!Take(in.size())) return DecodeOutcome::kTooLarge;
      pending_.append(in);
      // The uncompressed length leads the block: refuse a bomb before it is
      // even fully read.
      std::size_t length = 0;
      if (!length_checked_ && snappy::GetUncompressedLength(pending_.data(), pending_.size(), &length)) {
        length_checked_ = true;
        if (length > limit_ - size()) {
          return Fail(DecodeOutcome::kTooLarge, "snappy body inflates past max_request_body_size");
        }
      }
      return DecodeOutcome::kOk;
    }
    return FeedFramed(in);
  }

  DecodeOutcome DoFinish() override {
    if (mode_ == Mode::kUndecided) {
      mode_ = Mode::kBlock;  // shorter than a stream header: a (tiny) block
    }
    if (mode_ == Mode::kBlock) {
      std::size_t length = 0;
      if (!snappy::GetUncompressedLength(pending_.data(), pending_.size(), &length)) {
        return Fail(DecodeOutcome::kCorrupt, "invalid snappy block");
      }
      if (length > limit_ - size()) {
        return Fail(DecodeOutcome::kTooLarge, "snappy body inflates past max_request_body_size");
      }
      char* dst = Extend(length);
      if (dst == nullptr) return DecodeOutcome::kTooLarge;
      if (!snappy::RawUncompress(pending_.data(), pending_.size(), dst)) {
        return Fail(DecodeOutcome::kCorrupt, "invalid snappy block");
      }
      pending_ = std::string();
      return DecodeOutcome::kOk;
    }
    if (!seen_header_ || skip_ > 0 || !pending_.empty()) {
      return Fail(DecodeOutcome::kCorrupt, "truncated snappy stream");
    }
    return DecodeOutcome::kOk;
  }

 private:
  enum class Mode { kUndecided, kBlock, kFramed };
  static constexpr std::size_t kMaxChunkData = 65536;

  DecodeOutcome FeedFramed(std::string_view in) {
    while (true) {
      if (skip_ > 0) {  // inside a padding or skippable chunk: never buffered
        const std::size_t n = std::min<std::size_t>(skip_, in.size());
        skip_ -= n;
        in.remove_prefix(n);
        if (skip_ > 0) return DecodeOutcome::kOk;
      }
      // Gather the 4-byte chunk header, then the chunk. Every pass either
      // takes input or finishes a header or a chunk, so it ends.
      const std::size_t want = header_done_ ? 4 + ChunkLength() : 4;
      const std::size_t n = std::min(want - pending_.size(), in.size());
      pending_.append(in.substr(0, n));
      in.remove_prefix(n);
      if (pending_.size() < want) return DecodeOutcome::kOk;  // all input taken
      if (!header_done_) {
        header_done_ = true;
        const auto type = static_cast<unsigned char>(pending_[0]);
        const std::size_t len = ChunkLength();
        if (type >= 0x80 && type != 0xff) {  // skippable (0x80-0xfd) or padding (0xfe)
          skip_ = len;
          pending_.clear();
          header_done_ = false;
        } else if (type >= 0x02 && type <= 0x7f) {
          return Fail(DecodeOutcome::kCorrupt, "reserved unskippable chunk in snappy stream");
        } else if (len > snappy::MaxCompressedLength(kMaxChunkData) + 4) {
          return Fail(DecodeOutcome::kCorrupt, "oversized chunk in snappy stream");
        }
        continue;
      }
      if (DecodeOutcome r = Chunk(); r != DecodeOutcome::kOk) return r;
      pending_.clear();
      header_done_ = false;
    }
  }

  std::size_t ChunkLength() const { return LoadLe24(pending_.data() + 1); }

  DecodeOutcome Chunk() {
    const auto type = static_cast<unsigned char>(pending_[0]);
    std::string_view data(pending_.data() + 4, pending_.size() - 4);
    if (type == 0xff) {
      if (pending_ != kSnappyStreamHeader)
        return Fail(DecodeOutcome::kCorrupt, "bad snappy stream identifier");
      seen_header_ = true;
      return DecodeOutcome::kOk;
    }
    if (!seen_header_) return Fail(DecodeOutcome::kCorrupt, "snappy stream without stream identifier");
    if (data.size() < 4) return Fail(DecodeOutcome::kCorrupt, "short snappy chunk");
    const std::uint32_t want_crc = LoadLe32(data.data());
    data.remove_prefix(4);
    std::string_view plain;
    if (type == 0x00) {
      std::size_t length = 0;
      if (!snappy::GetUncompressedLength(data.data(), data.size(), &length) || length > kMaxChunkData ||
          !snappy::RawUncompress(data.data(), data.size(), block_.data())) {
        return Fail(DecodeOutcome::kCorrupt, "invalid snappy chunk");
      }
      plain = std::string_view(block_.data(), length);
    } else {
      if (data.size() > kMaxChunkData) return Fail(DecodeOutcome::kCorrupt, "oversized snappy chunk");
      plain = data;
    }
    const std::uint32_t masked = SnappyMaskedCrc32c(plain);
    if (masked != want_crc) return Fail(DecodeOutcome::kCorrupt, "snappy chunk checksum mismatch");
    return Append(plain.data(), plain.size()) ? DecodeOutcome::kOk : DecodeOutcome::kTooLarge;
  }

  bool framed_only_;
  Mode mode_ = Mode::kUndecided;
  std::string pending_;
  bool length_checked_ = false;
  bool seen_header_ = false;
  bool header_done_ = false;  // framed: pending_ holds a whole chunk header
  std::size_t skip_ = 0;
  std::array<char, kMaxChunkData> block_{};
};

}  // namespace

std::optional<Encoding> ParseEncoding(std::string_view header) {
  const std::string name = AsciiLower(TrimHttpSpace(header));
  if (name.empty() || name == "identity" || name == "none") return Encoding::kIdentity;
  if (name == "gzip" || name == "x-gzip") return Encoding::kGzip;
  if (name == "zlib") return Encoding::kZlib;
  if (name == "deflate") return Encoding::kDeflate;
  if (name == "zstd") return Encoding::kZstd;
  if (name == "snappy") return Encoding::kSnappy;
  if (name == "x-snappy-framed") return Encoding::kSnappyFramed;
  if (name == "lz4") return Encoding::kLz4;
  return std::nullopt;
}

std::string_view EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kIdentity: return "";
    case Encoding::kGzip: return "gzip";
    case Encoding::kZlib: return "zlib";
    case Encoding::kDeflate: return "deflate";
    case Encoding::kZstd: return "zstd";
    case Encoding::kSnappy: return "snappy";
    case Encoding::kSnappyFramed: return "x-snappy-framed";
    case Encoding::kLz4: return "lz4";
  }
  return "";
}

bool BodyDecoder::Fits(std::size_t n) {
  if (n <= limit_ - size_) return true;
  error_ = "request body larger than max_request_body_size (" + std::to_string(limit_) + " bytes)";
  return false;
}

bool BodyDecoder::Take(std::size_t n) {
  if (lease_ == nullptr) return true;
  switch (lease_->Grow(n)) {
    case ReceiveBudget::Verdict::kOk: return true;
    case ReceiveBudget::Verdict::kBusy:
      budget_outcome_ = DecodeOutcome::kBusy;
      error_ = ReceiveBudget::kBusyMessage;
      return false;
    case ReceiveBudget::Verdict::kTooLarge:
      budget_outcome_ = DecodeOutcome::kTooLarge;
      error_ = ReceiveBudget::kTooLargeMessage;
      return false;
  }
  return false;
}

// A refusal by the budget inside Append/Extend surfaces as kTooLarge from the
// decoders; the outcome it really was is kept in budget_outcome_.
DecodeOutcome BodyDecoder::Counted(DecodeOutcome r) {
  if (r == DecodeOutcome::kTooLarge && budget_outcome_ != DecodeOutcome::kOk) return budget_outcome_;
  if (r != DecodeOutcome::kOk) return r;
  const std::size_t state = StateBytes();
  if (state > state_counted_) {
    if (!Take(state - state_counted_)) return budget_outcome_;
    state_counted_ = state;
  }
  return r;
}

DecodeOutcome BodyDecoder::Reserve(std::size_t n) {
  if (!blocks_.empty()) return DecodeOutcome::kOk;
  const std::size_t want = std::min(n, limit_);
  if (!Take(want)) return budget_outcome_;
  blocks_.emplace_back().reserve(want);
  return DecodeOutcome::kOk;
}

bool BodyDecoder::Append(const char* data, std::size_t n) {
  if (!Fits(n)) return false;
  while (n > 0) {
    if (blocks_.empty() || blocks_.back().size() == blocks_.back().capacity()) {
      // Blocks grow from 64 KiB to 1 MiB: small bodies stay small, big ones
      // come in few pieces. Never past the limit: the budget is charged for
      // the whole block.
      const std::size_t last = blocks_.empty() ? 0 : blocks_.back().capacity();
      const std::size_t room = limit_ - size_;
      std::size_t block = std::min(std::clamp<std::size_t>(last * 2, kChunk, 1 << 20), room);
      // Nor past what the budget could ever give: a body that fits it must
      // not be refused for a block's unused tail.
      if (lease_ != nullptr)
        block = std::min<std::uint64_t>(block, std::max<std::uint64_t>(lease_->headroom(), 1));
      if (!Take(block)) return false;
      blocks_.emplace_back().reserve(block);
    }
    std::string& b = blocks_.back();
    const std::size_t take = std::min(n, b.capacity() - b.size());
    b.append(data, take);
    data += take;
    n -= take;
    size_ += take;
  }
  return true;
}

char* BodyDecoder::Extend(std::size_t n) {
  if (!Fits(n) || !Take(n)) return nullptr;
  std::string& b = blocks_.emplace_back(n, '\0');
  size_ += n;
  return b.data();
}

void BodyDecoder::Unextend(std::size_t n) {
  std::string& b = blocks_.back();
  b.resize(b.size() - n);
  size_ -= n;
  if (b.empty()) blocks_.pop_back();
}

DecodeOutcome BodyDecoder::TakeBody(std::string* body) {
  if (blocks_.size() == 1) {
    *body = std::move(blocks_.front());
  } else {
    // The joined copy is held beside the blocks until they go.
    if (!Take(size_)) return budget_outcome_;
    body->clear();
    body->reserve(size_);
    for (std::string& b : blocks_) {
      *body += b;
      b = std::string();
    }
  }
  blocks_.clear();
  size_ = 0;
  // What stays held: the body, and the decompressor's state until it goes.
  if (lease_ != nullptr) lease_->ShrinkTo(body->capacity() + state_counted_);
  return DecodeOutcome::kOk;
}

std::unique_ptr<BodyDecoder> BodyDecoder::Create(Encoding encoding, std::size_t limit, BudgetLease* lease) {
  std::unique_ptr<BodyDecoder> d;
  switch (encoding) {
    case Encoding::kIdentity: d = std::make_unique<IdentityDecoder>(limit); break;
    case Encoding::kGzip:
    case Encoding::kZlib:
    case Encoding::kDeflate: d = std::make_unique<ZlibDecoder>(encoding, limit); break;
    case Encoding::kZstd: d = std::make_unique<ZstdDecoder>(limit); break;
    case Encoding::kSnappy: d = std::make_unique<SnappyDecoder>(false, limit); break;
    case Encoding::kSnappyFramed: d = std::make_unique<SnappyDecoder>(true, limit); break;
    case Encoding::kLz4: d = std::make_unique<Lz4Decoder>(limit); break;
  }
  if (d) d->lease_ = lease;
  return d;
}

}  // namespace otlpd::receivers::otlp
