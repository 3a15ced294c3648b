#include "exporters/exporterhelper/payload_codec.h"

#include <memory>

#include <spdlog/fmt/fmt.h>

namespace otlpd::exporters::exporterhelper {
namespace {

constexpr std::string_view kMagic = "OTPQ";
constexpr std::uint8_t kHasMetadata = 1;
constexpr std::size_t kHeaderBytes = 16;  // magic, version, signal, flags, padding, items

void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void PutU64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void PutString(std::string& out, const std::string& s) {
  PutU32(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

// Reads fields front to back; every read checks what is left first.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool U8(std::uint8_t& v) {
    if (data_.empty()) return false;
    v = static_cast<std::uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool U32(std::uint32_t& v) { return Fixed(v, 4); }
  bool U64(std::uint64_t& v) { return Fixed(v, 8); }
  bool Bytes(std::uint64_t n, std::string_view& out) {
    if (n > data_.size()) return false;
    out = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  bool String(std::string& out) {
    std::uint32_t n = 0;
    std::string_view s;
    if (!U32(n) || !Bytes(n, s)) return false;
    out.assign(s);
    return true;
  }
  std::size_t left() const { return data_.size(); }

 private:
  template <class T>
  bool Fixed(T& v, int n) {
    if (data_.size() < static_cast<std::size_t>(n)) return false;
    v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<T>(static_cast<unsigned char>(data_[i])) << (8 * i);
    data_.remove_prefix(static_cast<std::size_t>(n));
    return true;
  }

  std::string_view data_;
};

Status Bad(std::string_view why) {
  return Status::InvalidArgument("not a readable persistent queue record: " + std::string(why));
}

}  // namespace

std::string EncodePayloadRecord(const Payload& payload) {
  std::size_t size = kHeaderBytes + 8 + payload.bytes.size();
  if (payload.metadata) {
    size += 4;
    for (const auto& [k, v] : *payload.metadata) size += 8 + k.size() + v.size();
  }
  std::string out;
  out.reserve(size);
  out += kMagic;
  out.push_back(static_cast<char>(kPayloadRecordVersion));
  out.push_back(static_cast<char>(payload.signal));
  out.push_back(static_cast<char>(payload.metadata ? kHasMetadata : 0));
  out.push_back(0);
  PutU64(out, payload.items);
  if (payload.metadata) {
    PutU32(out, static_cast<std::uint32_t>(payload.metadata->size()));
    for (const auto& [k, v] : *payload.metadata) {
      PutString(out, k);
      PutString(out, v);
    }
  }
  PutU64(out, payload.bytes.size());
  out += payload.bytes;
  return out;
}

Result<PayloadPtr> DecodePayloadRecord(std::string_view record) {
  Reader r(record);
  std::string_view magic;
  if (!r.Bytes(kMagic.size(), magic) || magic != kMagic) return Bad("bad magic");
  std::uint8_t version = 0, signal = 0, flags = 0, padding = 0;
  if (!r.U8(version)) return Bad("truncated header");
  if (version != kPayloadRecordVersion) {
    return Bad(
        fmt::format("format version {} (this otlpd reads version {})", version, kPayloadRecordVersion));
  }
  if (!r.U8(signal) || !r.U8(flags) || !r.U8(padding)) return Bad("truncated header");
  if (signal > static_cast<std::uint8_t>(Signal::kProfiles))
    return Bad(fmt::format("unknown signal {}", signal));
  if ((flags & ~kHasMetadata) != 0 || padding != 0) return Bad(fmt::format("unknown flags {:#x}", flags));
  Payload p;
  p.signal = static_cast<Signal>(signal);
  if (!r.U64(p.items)) return Bad("truncated header");
  if (flags & kHasMetadata) {
    std::uint32_t count = 0;
    if (!r.U32(count)) return Bad("truncated metadata");
    // Each entry takes at least its two lengths: a count that cannot fit is
    // refused before anything is allocated for it.
    if (count > r.left() / 8) return Bad(fmt::format("metadata count {} exceeds the record", count));
    auto md = std::make_shared<Metadata>();
    md->reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
      std::string k, v;
      if (!r.String(k) || !r.String(v)) return Bad("truncated metadata");
      md->emplace_back(std::move(k), std::move(v));
    }
    p.metadata = std::move(md);
  }
  std::uint64_t length = 0;
  std::string_view bytes;
  if (!r.U64(length)) return Bad("truncated request length");
  if (!r.Bytes(length, bytes)) {
    return Bad(fmt::format("request length {} exceeds the {} byte(s) left", length, r.left()));
  }
  if (r.left() != 0) return Bad(fmt::format("{} unexpected byte(s) after the request", r.left()));
  p.bytes.assign(bytes);
  return PayloadPtr(std::make_shared<const Payload>(std::move(p)));
}

}  // namespace otlpd::exporters::exporterhelper
