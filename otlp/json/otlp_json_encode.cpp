// OTLP protobuf wire bytes -> OTLP/JSON, walking the wire format with the
// schema tables instead of parsing into messages.
//
// The output matches pdata's JSON marshaler (what otelcol's file exporter
// writes): fields in .proto declaration order; zero scalars, empty repeated
// fields and empty/all-zero ids omitted; oneof members and `optional` fields
// written whenever set; singular non-oneof messages always written ("{}" when
// absent); 64-bit integers as decimal strings; doubles in Go's
// strconv 'f'/'e' shortest form.
//
// Deviations, both invisible to otelcol's reader: NaN/Inf are written as the
// proto3 JSON strings "NaN"/"Infinity"/"-Infinity" (Go writes "+Inf"/"-Inf";
// Go's ParseFloat reads either), and invalid UTF-8 in strings is replaced by
// U+FFFD so the output is always valid JSON (Go copies the raw bytes).

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "internal/base64.h"
#include "internal/text.h"
#include "otlp/json/otlp_json.h"
#include "otlp/json/otlp_json_schema.h"
#include "otlp/wire/nesting_limit.h"

namespace otlpd::json {
namespace {

using internal::FieldInfo;
using internal::Kind;
using internal::kMaxFields;
using internal::MessageInfo;
using internal::PathSegment;
using internal::PathText;

// The receivers' nesting limit on the same count (the request is depth 0):
// anything a receiver took in can be written out.
constexpr int kMaxEncodeDepth = wire::kMaxNestingDepth;
constexpr std::uint32_t kNone = 0xffffffffu;

struct Chunk {
  const std::uint8_t* data;
  std::size_t size;
};

// Append-only output buffer with inline fast paths (std::string::push_back
// was not inlined here and cost ~14% of encoding). It writes into the string
// it returns: no final copy, and no allocation pattern that makes malloc hand
// the pages back to the kernel after every request.
class Out {
 public:
  explicit Out(std::size_t capacity) { Grow(capacity); }

  void Put(char c) {
    if (pos_ == end_) Grow(1);
    *pos_++ = c;
  }
  void Append(const char* s, std::size_t n) {
    std::memcpy(Reserve(n), s, n);
    pos_ += n;
  }
  void Append(std::string_view s) { Append(s.data(), s.size()); }
  // Room for n more bytes; write them at the returned pointer, then Advance.
  char* Reserve(std::size_t n) {
    if (static_cast<std::size_t>(end_ - pos_) < n) Grow(n);
    return pos_;
  }
  void Advance(std::size_t n) { pos_ += n; }
  std::size_t size() const { return static_cast<std::size_t>(pos_ - buffer_.data()); }
  void Truncate(std::size_t n) { pos_ = buffer_.data() + n; }
  std::string Take() {
    buffer_.resize(size());
    pos_ = end_ = nullptr;
    return std::move(buffer_);
  }

 private:
  void Grow(std::size_t n) {
    const std::size_t used = size();
    buffer_.resize(std::max(used + n, 2 * buffer_.size()));
    pos_ = buffer_.data() + used;
    end_ = buffer_.data() + buffer_.size();
  }

  std::string buffer_;
  char* pos_ = buffer_.data();
  char* end_ = buffer_.data();
};

bool ReadVarint(const std::uint8_t*& p, const std::uint8_t* end, std::uint64_t& value) {
  std::uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p == end) return false;
    const std::uint8_t b = *p++;
    result |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      value = result;
      return true;
    }
  }
  return false;
}

std::uint64_t LoadLE(const std::uint8_t* p, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// ---- JSON value writers -------------------------------------------------

constexpr char kHex[] = "0123456789abcdef";

void AppendUInt(Out& out, std::uint64_t v) {
  char* p = out.Reserve(20);
  out.Advance(static_cast<std::size_t>(std::to_chars(p, p + 20, v).ptr - p));
}

void AppendInt(Out& out, std::int64_t v) {
  char* p = out.Reserve(20);
  out.Advance(static_cast<std::size_t>(std::to_chars(p, p + 20, v).ptr - p));
}

// Go's strconv.AppendFloat(v, 'f' or 'e', -1, bits), as jsoniter's
// WriteFloat64 picks them: 'e' below 1e-6 and from 1e21 on. The shortest
// round-trip digits come from to_chars(scientific) (both are Ryu); the fixed
// layout is done by hand because to_chars(fixed) prints the exact binary value
// of large numbers where Go pads the shortest digits with zeros.
template <class Float>
void AppendFloat(Out& out, Float v) {
  if (std::isnan(v)) {
    out.Append("\"NaN\"");
    return;
  }
  if (std::isinf(v)) {
    out.Append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  const Float a = std::fabs(v);
  if (a != 0 && (a < static_cast<Float>(1e-6) || a >= static_cast<Float>(1e21))) {
    out.Append(buf, static_cast<std::size_t>(r.ptr - buf));
    return;
  }
  const char* p = buf;
  if (*p == '-') out.Put(*p++);
  char digits[32];
  int n = 0;
  for (; *p != 'e'; ++p) {
    if (*p != '.') digits[n++] = *p;
  }
  int exponent = 0;
  std::from_chars(p + 1 + (p[1] == '+'), r.ptr, exponent);
  const auto count = static_cast<std::size_t>(n);
  if (exponent >= n - 1) {
    const auto zeros = static_cast<std::size_t>(exponent - (n - 1));
    out.Append(digits, count);
    std::memset(out.Reserve(zeros), '0', zeros);
    out.Advance(zeros);
  } else if (exponent >= 0) {
    const auto whole = static_cast<std::size_t>(exponent + 1);
    out.Append(digits, whole);
    out.Put('.');
    out.Append(digits + whole, count - whole);
  } else {
    const auto zeros = static_cast<std::size_t>(-exponent - 1);
    out.Append("0.", 2);
    std::memset(out.Reserve(zeros), '0', zeros);
    out.Advance(zeros);
    out.Append(digits, count);
  }
}

// Escapes like jsoniter with EscapeHTML off: \" \\ \n \r \t, other control
// characters as \u00xx, everything else (including valid UTF-8) as is.
void AppendString(Out& out, const std::uint8_t* s, std::size_t n) {
  out.Put('"');
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t c = s[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (const std::size_t len =
              Utf8SequenceLength(std::string_view(reinterpret_cast<const char*>(s + i), n - i));
          len != 0) {
        i += len;
        continue;
      }
    }
    out.Append(reinterpret_cast<const char*>(s + start), i - start);
    switch (c) {
      case '"': out.Append("\\\"", 2); break;
      case '\\': out.Append("\\\\", 2); break;
      case '\n': out.Append("\\n", 2); break;
      case '\r': out.Append("\\r", 2); break;
      case '\t': out.Append("\\t", 2); break;
      default:
        if (c >= 0x80) {
          out.Append("\\ufffd", 6);
        } else {
          char* p = out.Reserve(6);
          std::memcpy(p, "\\u00", 4);
          p[4] = kHex[c >> 4];
          p[5] = kHex[c & 0xf];
          out.Advance(6);
        }
    }
    start = ++i;
  }
  out.Append(reinterpret_cast<const char*>(s + start), n - start);
  out.Put('"');
}

void AppendHex(Out& out, const std::uint8_t* s, std::size_t n) {
  char* p = out.Reserve(2 * n + 2);
  *p++ = '"';
  for (std::size_t i = 0; i < n; ++i) {
    *p++ = kHex[s[i] >> 4];
    *p++ = kHex[s[i] & 0xf];
  }
  *p = '"';
  out.Advance(2 * n + 2);
}

void AppendBase64(Out& out, const std::uint8_t* s, std::size_t n) {
  const std::size_t size = Base64EncodedSize(n) + 2;
  char* p = out.Reserve(size);
  *p++ = '"';
  p = Base64Encode(s, n, p);
  *p = '"';
  out.Advance(size);
}

bool Is64Bit(Kind kind) {
  switch (kind) {
    case Kind::kDouble:
    case Kind::kInt64:
    case Kind::kUInt64:
    case Kind::kFixed64:
    case Kind::kSFixed64:
    case Kind::kSInt64: return true;
    default: return false;
  }
}

// `raw` is the varint value or the little-endian fixed bits of one element.
bool IsZero(Kind kind, std::uint64_t raw) {
  switch (kind) {
    case Kind::kDouble: return std::bit_cast<double>(raw) == 0.0;  // -0.0 too, as Go's `!= 0`
    case Kind::kFloat: return std::bit_cast<float>(static_cast<std::uint32_t>(raw)) == 0.0f;
    case Kind::kBool: return raw == 0;  // protobuf reads any non-zero varint as true
    default: return Is64Bit(kind) ? raw == 0 : static_cast<std::uint32_t>(raw) == 0;
  }
}

void AppendScalar(Out& out, Kind kind, std::uint64_t raw) {
  const auto low = static_cast<std::uint32_t>(raw);
  switch (kind) {
    case Kind::kDouble: AppendFloat(out, std::bit_cast<double>(raw)); return;
    case Kind::kFloat: AppendFloat(out, std::bit_cast<float>(low)); return;
    case Kind::kInt64:
    case Kind::kSFixed64:
      out.Put('"');
      AppendInt(out, static_cast<std::int64_t>(raw));
      out.Put('"');
      return;
    case Kind::kUInt64:
    case Kind::kFixed64:
      out.Put('"');
      AppendUInt(out, raw);
      out.Put('"');
      return;
    case Kind::kSInt64:
      out.Put('"');
      AppendInt(out, static_cast<std::int64_t>((raw >> 1) ^ (~(raw & 1) + 1)));
      out.Put('"');
      return;
    case Kind::kInt32:
    case Kind::kSFixed32:
    case Kind::kEnum: AppendInt(out, static_cast<std::int32_t>(low)); return;
    case Kind::kUInt32:
    case Kind::kFixed32: AppendUInt(out, low); return;
    case Kind::kSInt32: AppendInt(out, static_cast<std::int32_t>((low >> 1) ^ (~(low & 1) + 1))); return;
    case Kind::kBool:
      if (raw != 0) {
        out.Append("true", 4);
      } else {
        out.Append("false", 5);
      }
      return;
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kMessage: return;  // not scalars
  }
}

// ---- the walker ----------------------------------------------------------

class Encoder {
 public:
  Encoder(Out& out, bool strict_ids) : out_(out), strict_ids_(strict_ids) {}

  bool Message(const MessageInfo& info, std::span<const Chunk> chunks, int depth);
  std::string Error() const;

 private:
  // One occurrence of a known field, in wire order. Entries of one message are
  // chained per field through `next`; indices, not pointers, because nested
  // messages append to the same vector.
  struct Entry {
    const std::uint8_t* data;  // kLen payload
    std::uint64_t value;       // varint / fixed bits, or the kLen payload size
    std::uint32_t next;
    std::uint8_t wire_type;
  };
  bool Scan(const MessageInfo& info, Chunk chunk, std::uint32_t& present, std::uint32_t* head,
            std::uint32_t* tail, int depth);
  bool SkipGroup(std::uint64_t number, const std::uint8_t*& p, const std::uint8_t* end, int depth);
  bool Field(const FieldInfo& f, std::uint32_t head, std::uint32_t last, std::uint32_t after, bool& first,
             int depth);
  bool RepeatedScalar(const FieldInfo& f, std::uint32_t head, bool& first);
  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }
  void Key(const FieldInfo& f, bool& first) {
    if (!first) out_.Put(',');
    first = false;
    out_.Append(f.json_key);
  }

  Out& out_;
  const bool strict_ids_;
  std::vector<Entry> entries_;
  std::vector<PathSegment> path_;
  std::vector<PathSegment> error_path_;
  std::string error_;
};

std::string Encoder::Error() const {
  const std::string path = PathText(error_path_);
  return "invalid protobuf" + (path.empty() ? std::string() : " at " + path) + ": " + error_;
}

bool Encoder::SkipGroup(std::uint64_t number, const std::uint8_t*& p, const std::uint8_t* end, int depth) {
  if (depth > kMaxEncodeDepth) return Fail("groups nested too deeply");
  while (p < end) {
    std::uint64_t tag = 0;
    std::uint64_t v = 0;
    if (!ReadVarint(p, end, tag)) return Fail("truncated tag");
    switch (tag & 7) {
      case internal::kVarint:
        if (!ReadVarint(p, end, v)) return Fail("truncated varint");
        break;
      case internal::kFixed64Wire:
        if (end - p < 8) return Fail("truncated fixed64");
        p += 8;
        break;
      case internal::kFixed32Wire:
        if (end - p < 4) return Fail("truncated fixed32");
        p += 4;
        break;
      case internal::kLen:
        if (!ReadVarint(p, end, v) || v > static_cast<std::uint64_t>(end - p))
          return Fail("truncated length");
        p += v;
        break;
      case internal::kStartGroup:
        if (!SkipGroup(tag >> 3, p, end, depth + 1)) return false;
        break;
      case internal::kEndGroup:
        if ((tag >> 3) != number) return Fail("mismatched end-group tag");
        return true;
      default: return Fail("invalid wire type");
    }
  }
  return Fail("unterminated group");
}

bool Encoder::Scan(const MessageInfo& info, Chunk chunk, std::uint32_t& present, std::uint32_t* head,
                   std::uint32_t* tail, int depth) {
  const std::uint8_t* p = chunk.data;
  const std::uint8_t* const end = chunk.data + chunk.size;
  while (p < end) {
    std::uint64_t tag = 0;
    if (!ReadVarint(p, end, tag)) return Fail("truncated tag");
    const std::uint64_t number = tag >> 3;
    const auto wire_type = static_cast<std::uint8_t>(tag & 7);
    if (number == 0 || number > 0x1fffffff) return Fail("invalid field number");
    Entry e{nullptr, 0, kNone, wire_type};
    switch (wire_type) {
      case internal::kVarint:
        if (!ReadVarint(p, end, e.value)) return Fail("truncated varint");
        break;
      case internal::kFixed64Wire:
        if (end - p < 8) return Fail("truncated fixed64");
        e.value = LoadLE(p, 8);
        p += 8;
        break;
      case internal::kFixed32Wire:
        if (end - p < 4) return Fail("truncated fixed32");
        e.value = LoadLE(p, 4);
        p += 4;
        break;
      case internal::kLen:
        if (!ReadVarint(p, end, e.value) || e.value > static_cast<std::uint64_t>(end - p)) {
          return Fail("truncated length-delimited field");
        }
        e.data = p;
        p += e.value;
        break;
      case internal::kStartGroup:
        // protobuf keeps groups as unknown fields; OTLP has none, so skip them.
        if (!SkipGroup(number, p, end, depth + 1)) return false;
        continue;
      case internal::kEndGroup: return Fail("unexpected end-group tag");
      default: return Fail("invalid wire type");
    }
    const int index = info.IndexOfNumber(number);
    if (index < 0) continue;  // unknown field
    const FieldInfo& f = info.fields[static_cast<std::size_t>(index)];
    // A wire type that does not fit the field makes protobuf treat the
    // occurrence as an unknown field; do the same.
    if (wire_type != f.wire_type && !(f.packable && wire_type == internal::kLen)) continue;
    const auto at = static_cast<std::uint32_t>(entries_.size());
    entries_.push_back(e);
    const std::uint32_t bit = 1u << index;
    if ((present & bit) == 0) {
      present |= bit;
      head[index] = at;
    } else {
      entries_[tail[index]].next = at;
    }
    tail[index] = at;
  }
  return true;
}

bool Encoder::RepeatedScalar(const FieldInfo& f, std::uint32_t head, bool& first) {
  const std::size_t mark = out_.size();
  const bool was_first = first;
  Key(f, first);
  out_.Put('[');
  std::int64_t count = 0;
  auto element = [&]() {
    if (count++ > 0) out_.Put(',');
  };
  for (std::uint32_t i = head; i != kNone; i = entries_[i].next) {
    const Entry e = entries_[i];
    if (f.kind == Kind::kString || f.kind == Kind::kBytes) {
      element();
      if (f.kind == Kind::kString) {
        AppendString(out_, e.data, e.value);
      } else {
        AppendBase64(out_, e.data, e.value);
      }
      continue;
    }
    if (e.wire_type != internal::kLen) {
      element();
      AppendScalar(out_, f.kind, e.value);
      continue;
    }
    // Packed run.
    const std::uint8_t* p = e.data;
    const std::uint8_t* const end = e.data + e.value;
    const int width = f.wire_type == internal::kFixed64Wire   ? 8
                      : f.wire_type == internal::kFixed32Wire ? 4
                                                              : 0;
    if (width != 0 && e.value % width != 0)
      return Fail("packed field length is not a multiple of " + std::to_string(width));
    while (p < end) {
      std::uint64_t v = 0;
      if (width == 0) {
        if (!ReadVarint(p, end, v)) return Fail("truncated packed varint");
      } else {
        v = LoadLE(p, width);
        p += width;
      }
      element();
      AppendScalar(out_, f.kind, v);
    }
  }
  if (count == 0) {  // only empty packed runs: as absent
    out_.Truncate(mark);
    first = was_first;
    return true;
  }
  out_.Put(']');
  return true;
}

// `head`/`last`: first and last occurrence, kNone when absent. `after`: only
// occurrences with a larger entry index count (oneof members overwritten by a
// later member of the same oneof); kNone for all.
bool Encoder::Field(const FieldInfo& f, std::uint32_t head, std::uint32_t last, std::uint32_t after,
                    bool& first, int depth) {
  if (f.repeated) {
    if (head == kNone) return true;
    if (f.kind != Kind::kMessage) return RepeatedScalar(f, head, first);
    Key(f, first);
    out_.Put('[');
    std::int64_t index = 0;
    for (std::uint32_t i = head; i != kNone; i = entries_[i].next, ++index) {
      if (index > 0) out_.Put(',');
      path_.back().index = index;
      const Chunk chunk{entries_[i].data, entries_[i].value};
      if (!Message(*f.message, {&chunk, 1}, depth + 1)) return false;
    }
    path_.back().index = -1;
    out_.Put(']');
    return true;
  }

  if (f.kind == Kind::kMessage) {
    if (head == kNone) {
      if (!f.always_emit) return true;
      Key(f, first);
      return Message(*f.message, {}, depth + 1);
    }
    // Repeated occurrences of a singular message merge, as in protobuf:
    // walking their payloads back to back is exactly that merge.
    std::uint32_t start = head;
    while (after != kNone && start <= after) start = entries_[start].next;
    Key(f, first);
    if (entries_[start].next == kNone) {
      const Chunk chunk{entries_[start].data, entries_[start].value};
      return Message(*f.message, {&chunk, 1}, depth + 1);
    }
    std::vector<Chunk> chunks;
    for (std::uint32_t i = start; i != kNone; i = entries_[i].next)
      chunks.push_back({entries_[i].data, entries_[i].value});
    return Message(*f.message, chunks, depth + 1);
  }

  if (head == kNone) return true;
  const Entry e = entries_[last];  // last one wins
  if (f.kind == Kind::kString) {
    if (e.value == 0 && !f.explicit_presence) return true;
    Key(f, first);
    AppendString(out_, e.data, e.value);
    return true;
  }
  if (f.kind == Kind::kBytes) {
    if (f.id_bytes != 0) {
      if (strict_ids_ && e.value != 0 && e.value != f.id_bytes) {
        return Fail("id is " + std::to_string(e.value) + " bytes, want " + std::to_string(f.id_bytes));
      }
      // pdata keeps ids as fixed arrays: empty and all-zero are the same "empty id".
      if (std::all_of(e.data, e.data + e.value, [](std::uint8_t b) { return b == 0; })) return true;
      Key(f, first);
      AppendHex(out_, e.data, e.value);
      return true;
    }
    if (e.value == 0 && !f.explicit_presence) return true;
    Key(f, first);
    AppendBase64(out_, e.data, e.value);
    return true;
  }
  if (!f.explicit_presence && IsZero(f.kind, e.value)) return true;
  Key(f, first);
  AppendScalar(out_, f.kind, e.value);
  return true;
}

bool Encoder::Message(const MessageInfo& info, std::span<const Chunk> chunks, int depth) {
  if (depth > kMaxEncodeDepth)
    return Fail("messages nested deeper than " + std::to_string(kMaxEncodeDepth) + " levels");
  // head/tail are valid only where `present` has the field's bit.
  std::uint32_t present = 0;
  std::uint32_t head[kMaxFields];
  std::uint32_t tail[kMaxFields];
  const std::size_t base = entries_.size();
  for (const Chunk& chunk : chunks) {
    if (!Scan(info, chunk, present, head, tail, depth)) {
      if (error_path_.empty()) error_path_ = path_;
      return false;
    }
  }

  std::uint32_t emit = present | info.always_emit_mask;
  // The member of each oneof seen last wins; `cut` is where it last took over.
  int winner[kMaxFields];
  std::uint32_t cut[kMaxFields];
  if (std::uint32_t members = present & info.oneof_mask; members != 0) {
    std::fill_n(winner, info.oneof_count, -1);
    std::fill_n(cut, info.oneof_count, kNone);
    for (; members != 0; members &= members - 1) {
      const int i = std::countr_zero(members);
      const int o = info.fields[static_cast<std::size_t>(i)].oneof;
      if (winner[o] < 0) {
        winner[o] = i;
      } else if (tail[i] > tail[winner[o]]) {
        cut[o] = cut[o] == kNone ? tail[winner[o]] : std::max(cut[o], tail[winner[o]]);
        emit &= ~(1u << winner[o]);
        winner[o] = i;
      } else {
        cut[o] = cut[o] == kNone ? tail[i] : std::max(cut[o], tail[i]);
        emit &= ~(1u << i);
      }
    }
  }

  out_.Put('{');
  bool first = true;
  for (; emit != 0; emit &= emit - 1) {
    const int i = std::countr_zero(emit);  // field index = declaration order
    const FieldInfo& f = info.fields[static_cast<std::size_t>(i)];
    const bool has = (present >> i) & 1u;
    path_.push_back({&f.json_name, -1});
    const bool ok = Field(f, has ? head[i] : kNone, has ? tail[i] : kNone,
                          f.oneof >= 0 ? cut[f.oneof] : kNone, first, depth);
    if (!ok && error_path_.empty()) error_path_ = path_;
    path_.pop_back();
    if (!ok) return false;
  }
  out_.Put('}');
  entries_.resize(base);
  return true;
}

bool IsOtlpMessage(const google::protobuf::Descriptor* descriptor) {
  return std::string_view(descriptor->full_name()).starts_with("opentelemetry.proto.");
}

}  // namespace

Result<std::string> EncodeRequest(Signal signal, std::string_view proto_bytes) {
  try {
    // OTLP/JSON runs about 1.7x the protobuf size (hex ids, key names).
    Out out(proto_bytes.size() * 2 + 64);
    Encoder encoder(out, /*strict_ids=*/true);
    const Chunk chunk{reinterpret_cast<const std::uint8_t*>(proto_bytes.data()), proto_bytes.size()};
    if (!encoder.Message(internal::RequestSchema(signal), {&chunk, 1}, 0)) {
      return Status::InvalidArgument(encoder.Error());
    }
    return out.Take();
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory encoding OTLP/JSON");
  } catch (const std::exception& e) {
    return Status::Internal(std::string("encoding OTLP/JSON: ") + e.what());
  }
}

std::string EncodeMessage(const google::protobuf::Message& message) {
  try {
    const MessageInfo* info = internal::FindSchema(message.GetDescriptor());
    if (info != nullptr && IsOtlpMessage(message.GetDescriptor())) {
      const std::string bytes = message.SerializeAsString();
      Out out(bytes.size() * 2 + 16);
      // A message object cannot hold malformed wire data, so this cannot fail;
      // ids of odd lengths are written as hex as they are.
      Encoder encoder(out, /*strict_ids=*/false);
      const Chunk chunk{reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
      if (encoder.Message(*info, {&chunk, 1}, 0)) return out.Take();
    }
    // google.rpc.Status and other non-OTLP messages (Any, Duration inside):
    // protobuf's printer implements their proto3 JSON forms.
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_enums_as_ints = true;
    std::string out;
    if (google::protobuf::util::MessageToJsonString(message, &out, options).ok()) return out;
    return "{}";
  } catch (...) {
    return "{}";
  }
}

}  // namespace otlpd::json
