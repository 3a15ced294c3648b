#include "config/compression/gzip_members.h"

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "internal/little_endian.h"
namespace otlpd::config::compression {
namespace {

constexpr std::size_t kHeader = 10;  // ID1 ID2 CM FLG MTIME(4) XFL OS
constexpr std::size_t kTrailer = 8;  // CRC32 ISIZE
constexpr unsigned char kFhcrc = 2, kFextra = 4, kFname = 8, kFcomment = 16;
constexpr unsigned char kXflFastest = 4;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// A member's DEFLATE stream and trailer, past whatever optional header
// fields it has (RFC 1952 section 2.3).
struct Member {
  std::string_view deflate;
  std::uint32_t crc = 0;
  std::uint32_t isize = 0;
};

bool Parse(std::string_view m, Member* out) {
  const unsigned char* b = Bytes(m);
  if (m.size() < kHeader + kTrailer || b[0] != 0x1f || b[1] != 0x8b || b[2] != 8 || (b[3] & 0xe0) != 0) {
    return false;
  }
  const unsigned char flg = b[3];
  const std::size_t end = m.size() - kTrailer;
  std::size_t pos = kHeader;
  if (flg & kFextra) {
    if (pos + 2 > end) return false;
    pos += 2 + (b[pos] | (b[pos + 1] << 8));
  }
  for (const unsigned char zero_terminated : {kFname, kFcomment}) {
    if ((flg & zero_terminated) == 0) continue;
    while (pos < end && b[pos] != 0) ++pos;
    ++pos;
  }
  if (flg & kFhcrc) pos += 2;
  if (pos >= end) return false;  // a DEFLATE stream is at least one byte
  out->deflate = m.substr(pos, end - pos);
  out->crc = LoadLe32(b + end);
  out->isize = LoadLe32(b + end + 4);
  return true;
}

Status Bad(const std::string& what) { return Status::InvalidArgument("gzip members: " + what); }

// Raw inflate state reused across the members of one join.
class BlockScanner {
 public:
  BlockScanner() : scratch_(new unsigned char[kScratch]) {}
  ~BlockScanner() {
    if (ready_) inflateEnd(&z_);
  }
  BlockScanner(const BlockScanner&) = delete;
  BlockScanner& operator=(const BlockScanner&) = delete;

  // Makes the DEFLATE stream in `s` (a copy the caller owns) continuable:
  // clears its final block's BFINAL bit and appends an empty stored block
  // that ends on a byte boundary. *size: the stream's decompressed length.
  Status MakeNonFinal(std::string& s, std::size_t from, std::uint64_t* size) {
    if (!ready_) {
      if (inflateInit2(&z_, -MAX_WBITS) != Z_OK) return Status::Internal("gzip members: inflateInit2 failed");
      ready_ = true;
    } else if (inflateReset(&z_) != Z_OK) {
      return Status::Internal("gzip members: inflateReset failed");
    }
    auto* data = reinterpret_cast<unsigned char*>(s.data()) + from;
    const std::size_t n = s.size() - from;
    z_.next_in = data;
    z_.avail_in = static_cast<uInt>(n);
    std::uint64_t header_bit = 0;  // where the block being decoded starts
    std::uint64_t produced = 0;
    for (;;) {
      z_.next_out = scratch_.get();
      z_.avail_out = kScratch;
      // Z_BLOCK: inflate returns at each block's end, saying how many bits
      // of the last byte it took are still unused.
      const int rc = inflate(&z_, Z_BLOCK);
      produced += kScratch - z_.avail_out;
      if (rc != Z_OK) return Bad(rc == Z_STREAM_END ? "stream ended early" : "invalid DEFLATE data");
      if ((z_.data_type & 128) == 0) continue;  // the output was full, not a block's end
      const std::size_t used = static_cast<std::size_t>(z_.next_in - data);
      const unsigned unused_bits = static_cast<unsigned>(z_.data_type) & 7;
      if ((z_.data_type & 64) == 0) {
        header_bit = std::uint64_t{used} * 8 - unused_bits;  // the next block's header
        continue;
      }
      // The final block has ended.
      if (used != n) return Bad("bytes after the DEFLATE stream");
      const unsigned char bfinal = static_cast<unsigned char>(1u << (header_bit % 8));
      if ((data[header_bit / 8] & bfinal) == 0) return Bad("final block not found");
      data[header_bit / 8] &= static_cast<unsigned char>(~bfinal);
      // An empty stored block: BFINAL 0, BTYPE 00, zero bits to the byte's
      // end, LEN 0 and NLEN 0xffff. Its three header bits go into the last
      // byte's unused (now zeroed) bits when there are three of them.
      data[n - 1] &= static_cast<unsigned char>(0xff >> unused_bits);
      if (unused_bits < 3) s.push_back('\0');
      s.append("\0\0\xff\xff", 4);
      *size = produced;
      return Status::Ok();
    }
  }

 private:
  static constexpr uInt kScratch = 64 * 1024;
  z_stream z_{};
  bool ready_ = false;
  std::unique_ptr<unsigned char[]> scratch_;
};

}  // namespace

bool WorthKeeping(std::string_view member) {
  Member parsed;
  return Parse(member, &parsed) && Bytes(member)[8] != kXflFastest;
}

void AppendMember(std::string& framed, std::string_view member) {
  AppendLe32(framed, static_cast<std::uint32_t>(member.size()));
  framed.append(member);
}

Result<std::string> JoinGzipMembers(std::string_view framed, std::size_t expected_size) {
  std::vector<Member> members;
  std::size_t total_in = 0;
  while (!framed.empty()) {
    if (framed.size() < 4) return Bad("truncated size");
    const std::uint32_t len = LoadLe32(framed.data());
    framed.remove_prefix(4);
    if (len > framed.size()) return Bad("truncated member");
    Member m;
    if (!Parse(framed.substr(0, len), &m)) return Bad("not a gzip member");
    if (members.empty() && len == framed.size() && m.isize == static_cast<std::uint32_t>(expected_size)) {
      return std::string(framed);  // one member: passed on as it is
    }
    members.push_back(m);
    total_in += len;
    framed.remove_prefix(len);
  }
  if (members.empty()) return Bad("no member");

  std::string out;
  out.reserve(kHeader + total_in + 5 * members.size());
  // MTIME 0 (none), XFL 0, OS 255 (unknown): what Go's gzip writer sends.
  out.append("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", kHeader);
  BlockScanner scanner;
  std::uint32_t crc = 0;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const Member& m = members[i];
    const std::size_t from = out.size();
    out.append(m.deflate);
    std::uint64_t size = m.isize;  // the last member is not scanned: its trailer says
    if (i + 1 < members.size()) {
      if (Status s = scanner.MakeNonFinal(out, from, &size); !s.ok()) return s;
      if (static_cast<std::uint32_t>(size) != m.isize)
        return Bad("a member's size disagrees with its trailer");
    }
    crc = i == 0 ? m.crc : static_cast<std::uint32_t>(crc32_combine(crc, m.crc, static_cast<z_off_t>(size)));
    total += size;
  }
  if (total != expected_size)
    return Bad("members hold " + std::to_string(total) + " bytes, not " + std::to_string(expected_size));
  AppendLe32(out, crc);
  AppendLe32(out, static_cast<std::uint32_t>(total));
  return out;
}

}  // namespace otlpd::config::compression
