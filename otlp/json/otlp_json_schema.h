#pragma once

// Internal to otlpd_json: per-message field tables built once from the
// protobuf Descriptors. The encoder and decoder work on wire bytes directly
// and consult these tables instead of protobuf Reflection, so no message
// objects are allocated on either path.

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "internal/signal.h"

namespace google::protobuf {
class Descriptor;
class EnumDescriptor;
}  // namespace google::protobuf

namespace otlpd::json::internal {

// Upper bound on fields per message; OTLP's largest (Span) has 16. Lets the
// codec keep per-message bookkeeping in fixed arrays on the stack.
inline constexpr int kMaxFields = 32;

enum class Kind : std::uint8_t {
  kDouble,
  kFloat,
  kInt64,
  kUInt64,
  kInt32,
  kFixed64,
  kFixed32,
  kBool,
  kString,
  kMessage,
  kBytes,
  kUInt32,
  kEnum,
  kSFixed32,
  kSFixed64,
  kSInt32,
  kSInt64,
};

enum WireType : std::uint8_t {
  kVarint = 0,
  kFixed64Wire = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32Wire = 5
};

struct MessageInfo;

struct FieldInfo {
  // Hot members first: with json_key they fill the first cache line.
  std::uint32_t number = 0;
  Kind kind = Kind::kInt32;
  WireType wire_type = kVarint;  // of one element
  bool repeated = false;
  bool packable = false;           // repeated numeric: written packed, read either way
  bool explicit_presence = false;  // proto3 `optional` or oneof member: emitted even when zero
  // A singular, non-oneof message field. pdata holds these by value and its
  // marshaler always writes them ("status":{}), so the encoder does the same.
  bool always_emit = false;
  std::uint8_t id_bytes = 0;  // 16 or 8: trace/span id written as hex instead of base64
  int oneof = -1;             // index of the containing (real) oneof, or -1
  const MessageInfo* message = nullptr;
  const google::protobuf::EnumDescriptor* enum_type = nullptr;
  std::string json_key;    // `"jsonName":`, ready to append
  std::string json_name;   // lowerCamelCase
  std::string proto_name;  // snake_case as in the .proto
};

struct MessageInfo {
  const google::protobuf::Descriptor* descriptor = nullptr;
  std::vector<FieldInfo> fields;             // declaration order = JSON output order
  std::vector<std::uint8_t> by_number;       // field indices sorted by number = wire output order
  std::vector<std::int8_t> index_of_number;  // field number -> index, -1 when unknown
  int oneof_count = 0;
  std::uint32_t always_emit_mask = 0;  // bit i: fields[i].always_emit
  std::uint32_t oneof_mask = 0;        // bit i: fields[i] is in a oneof
  // Open-addressing table over both key spellings; size is a power of two
  // with at most 25% load. A key is probed by its length and its first and
  // last 8 bytes, which for keys of up to 16 bytes is the whole key, so most
  // lookups cost two loads, a multiply and no memcmp.
  struct KeyProbe {
    std::uint64_t head = 0;
    std::uint64_t tail = 0;
    std::size_t size = 0;

    explicit KeyProbe(std::string_view key) : size(key.size()) {
      const char* p = key.data();
      if (size >= 8) {
        std::memcpy(&head, p, 8);
        std::memcpy(&tail, p + size - 8, 8);
      } else if (size >= 4) {
        std::uint32_t h = 0;
        std::uint32_t t = 0;
        std::memcpy(&h, p, 4);
        std::memcpy(&t, p + size - 4, 4);
        head = h;
        tail = t;
      } else {
        for (std::size_t i = 0; i < size; ++i)
          head |= std::uint64_t{static_cast<std::uint8_t>(p[i])} << (8 * i);
      }
    }
    std::size_t Hash() const {
      return static_cast<std::size_t>((head * 0x9e3779b97f4a7c15ull ^ tail * 0xc2b2ae3d27d4eb4full ^ size) >>
                                      29);
    }
    bool Matches(const KeyProbe& other, std::string_view a, std::string_view b) const {
      return size == other.size && head == other.head && tail == other.tail &&
             (size <= 16 || std::memcmp(a.data(), b.data(), size) == 0);
    }
  };
  struct KeySlot {
    KeyProbe probe{std::string_view()};
    int index = -1;  // -1: empty
    std::string_view key;
  };
  std::vector<KeySlot> key_table;

  int IndexOfNumber(std::uint64_t number) const {
    return number < index_of_number.size() ? index_of_number[number] : -1;
  }
  // Accepts the lowerCamelCase JSON name and the original proto name.
  int IndexOfKey(std::string_view key) const {
    const KeyProbe probe(key);
    const std::size_t mask = key_table.size() - 1;
    for (std::size_t i = probe.Hash() & mask;; i = (i + 1) & mask) {
      const KeySlot& slot = key_table[i];
      if (slot.index < 0) return -1;
      if (slot.probe.Matches(probe, slot.key, key)) return slot.index;
    }
  }
  // Bytes the length prefix of this message took last time it was decoded.
  // The decoder reserves that many so it rarely has to shift the payload;
  // only a hint, shared by all threads.
  mutable std::atomic<std::uint8_t> length_width_hint{1};
};

// Schema of Export{Trace,Metrics,Logs,Profiles}ServiceRequest.
const MessageInfo& RequestSchema(Signal signal);

// Schema of any message of the opentelemetry.proto packages, or nullptr.
const MessageInfo* FindSchema(const google::protobuf::Descriptor* descriptor);

// One step of the path to a field, for error messages: the field's JSON
// name, and the element's index within a repeated field (-1: none).
struct PathSegment {
  const std::string* name;
  std::int64_t index;
};

// "resourceSpans[0].scopeSpans[1].spans[0].traceId"; "" for an empty path.
std::string PathText(const std::vector<PathSegment>& path);

}  // namespace otlpd::json::internal
