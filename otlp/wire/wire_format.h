// Protobuf wire-format primitives: a bounds-checked Reader and append helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace otlpd::wire {

enum class WireType : std::uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// Protobuf field numbers are 29 bits; 0 is never valid.
inline constexpr std::uint32_t kMaxFieldNumber = (1u << 29) - 1;

// One field as read by Reader::ReadField.
struct Field {
  std::uint32_t number = 0;
  WireType type = WireType::kVarint;
  std::uint64_t value = 0;   // kVarint, kFixed32, kFixed64: the value
  std::string_view payload;  // kLen: the bytes after the length prefix; kStartGroup: the group body
  std::string_view raw;      // tag through end of value: append it to re-emit the field unchanged
};

// The hot few-instruction readers are forced inline: in a function as large
// as the wire walker GCC keeps them out of line, and the calls cost more
// than their bodies (measured: a third of the walker's time).
#define OTLPD_WIRE_INLINE [[gnu::always_inline]] inline

// Reads protobuf wire format from a byte range it never leaves. Every Read*
// returns false (and consumes nothing useful) when the input is truncated or
// malformed, so callers can walk untrusted bytes without their own bounds checks.
class Reader {
 public:
  Reader() = default;
  explicit Reader(std::string_view bytes) : pos_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool AtEnd() const { return pos_ == end_; }
  std::size_t Remaining() const { return static_cast<std::size_t>(end_ - pos_); }
  const char* Position() const { return pos_; }

  // Accepts up to 10 bytes as protobuf does; bits past 64 in the last byte are dropped like protobuf does.
  OTLPD_WIRE_INLINE bool ReadVarint(std::uint64_t& value) {
    if (pos_ != end_ && static_cast<std::uint8_t>(*pos_) < 0x80) {
      value = static_cast<std::uint8_t>(*pos_++);
      return true;
    }
    return ReadVarintSlow(value);
  }

  // Tags longer than 5 bytes, field number 0 and wire types 6 and 7 are rejected like protobuf does.
  OTLPD_WIRE_INLINE bool ReadTag(std::uint32_t& number, WireType& type) {
    std::uint64_t tag = 0;
    const char* start = pos_;
    if (!ReadVarint(tag)) return false;
    if (pos_ - start > 5 || tag > 0xFFFFFFFFu) return false;
    number = static_cast<std::uint32_t>(tag >> 3);
    std::uint32_t wire = static_cast<std::uint32_t>(tag & 7);
    if (number == 0 || wire > 5) return false;
    type = static_cast<WireType>(wire);
    return true;
  }

  OTLPD_WIRE_INLINE bool ReadFixed32(std::uint32_t& value) {
    if (Remaining() < 4) return false;
    std::memcpy(&value, pos_, 4);  // OTLP hosts are little-endian, as is the wire
    pos_ += 4;
    return true;
  }

  OTLPD_WIRE_INLINE bool ReadFixed64(std::uint64_t& value) {
    if (Remaining() < 8) return false;
    std::memcpy(&value, pos_, 8);
    pos_ += 8;
    return true;
  }

  // A length prefix and that many bytes.
  OTLPD_WIRE_INLINE bool ReadLengthDelimited(std::string_view& out) {
    std::uint64_t len = 0;
    if (!ReadVarint(len) || len > Remaining()) return false;
    out = std::string_view(pos_, static_cast<std::size_t>(len));
    pos_ += len;
    return true;
  }

  // Reads the value of a field whose tag was just read. A group is skipped up
  // to its matching end tag (nested groups at most `max_group_depth` deep);
  // a lone end-group tag is an error, as in protobuf.
  bool ReadValue(std::uint32_t number, WireType type, Field& field, int max_group_depth = 100);

  // Tag plus value.
  bool ReadField(Field& field, int max_group_depth = 100) {
    const char* start = pos_;
    if (!ReadTag(field.number, field.type)) return false;
    if (!ReadValue(field.number, field.type, field, max_group_depth)) return false;
    field.raw = std::string_view(start, static_cast<std::size_t>(pos_ - start));
    return true;
  }

 private:
  bool ReadVarintSlow(std::uint64_t& value);

  const char* pos_ = nullptr;
  const char* end_ = nullptr;
};

inline bool Reader::ReadVarintSlow(std::uint64_t& value) {
  std::uint64_t result = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ == end_) return false;
    std::uint64_t byte = static_cast<std::uint8_t>(*pos_++);
    result |= (byte & 0x7F) << (7 * i);
    if (byte < 0x80) {
      value = result;
      return true;
    }
  }
  return false;
}

inline bool Reader::ReadValue(std::uint32_t number, WireType type, Field& field, int max_group_depth) {
  field.value = 0;
  field.payload = {};
  switch (type) {
    case WireType::kVarint: return ReadVarint(field.value);
    case WireType::kFixed64: return ReadFixed64(field.value);
    case WireType::kFixed32: {
      std::uint32_t v = 0;
      if (!ReadFixed32(v)) return false;
      field.value = v;
      return true;
    }
    case WireType::kLen: return ReadLengthDelimited(field.payload);
    case WireType::kStartGroup: {
      if (max_group_depth <= 0) return false;
      const char* body = pos_;
      for (;;) {
        const char* before_tag = pos_;
        std::uint32_t inner_number = 0;
        WireType inner_type = WireType::kVarint;
        if (!ReadTag(inner_number, inner_type)) return false;
        if (inner_type == WireType::kEndGroup) {
          if (inner_number != number) return false;
          field.payload = std::string_view(body, static_cast<std::size_t>(before_tag - body));
          return true;
        }
        Field inner;
        if (!ReadValue(inner_number, inner_type, inner, max_group_depth - 1)) return false;
      }
    }
    case WireType::kEndGroup: return false;
  }
  return false;
}

// Writing side, for code that re-frames messages (Split, processors).

// Writes `value` as a varint into `buf`; returns how many bytes it took (1 to 10).
inline std::size_t EncodeVarint(char (&buf)[10], std::uint64_t value) {
  std::size_t n = 0;
  while (value >= 0x80) {
    buf[n++] = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  buf[n++] = static_cast<char>(value);
  return n;
}

inline void AppendVarint(std::string& dst, std::uint64_t value) {
  char buf[10];
  dst.append(buf, EncodeVarint(buf, value));
}

inline void AppendTag(std::string& dst, std::uint32_t number, WireType type) {
  AppendVarint(dst, (static_cast<std::uint64_t>(number) << 3) | static_cast<std::uint64_t>(type));
}

inline std::size_t VarintSize(std::uint64_t value) {
  std::size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

// tag + length + payload.
inline void AppendLengthDelimited(std::string& dst, std::uint32_t number, std::string_view payload) {
  AppendTag(dst, number, WireType::kLen);
  AppendVarint(dst, payload.size());
  dst.append(payload);
}

// Small reads and writes of whole fields, for bytes a receiver validated
// (malformed input ends a read early, never out of bounds).

// The first length-delimited field `number` of a message (empty when absent).
inline std::string_view FirstLen(std::string_view message, std::uint32_t number) {
  Reader r(message);
  Field f;
  while (!r.AtEnd() && r.ReadField(f)) {
    if (f.number == number && f.type == WireType::kLen) return f.payload;
  }
  return {};
}

// The last length-delimited field `number` of a message (empty when absent): a
// string field's value as protobuf parses it (the last occurrence wins).
inline std::string_view LastLen(std::string_view message, std::uint32_t number) {
  Reader r(message);
  Field f;
  std::string_view out;
  while (!r.AtEnd() && r.ReadField(f)) {
    if (f.number == number && f.type == WireType::kLen) out = f.payload;
  }
  return out;
}

// The last varint field `number` of a message (protobuf's rule for scalars), 0 when absent.
inline std::uint64_t LastVarint(std::string_view message, std::uint32_t number) {
  Reader r(message);
  Field f;
  std::uint64_t v = 0;
  while (!r.AtEnd() && r.ReadField(f)) {
    if (f.number == number && f.type == WireType::kVarint) v = f.value;
  }
  return v;
}

// Appends every field of `message` but those numbered `skip`: a container's
// "header" (everything but its repeated child field).
inline void AppendHeader(std::string& out, std::string_view message, std::uint32_t skip) {
  Reader r(message);
  Field f;
  while (!r.AtEnd() && r.ReadField(f)) {
    if (f.number != skip) out.append(f.raw);
  }
}

// Appends field `number` holding the message `header` + `body`.
inline void AppendMessage(std::string& out, std::uint32_t number, std::string_view header,
                          std::string_view body) {
  AppendTag(out, number, WireType::kLen);
  AppendVarint(out, header.size() + body.size());
  out.append(header);
  out.append(body);
}

}  // namespace otlpd::wire
