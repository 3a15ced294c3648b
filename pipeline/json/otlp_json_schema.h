#pragma once

// Internal to otlpd_json: per-message field tables built once from the
// protobuf Descriptors. The encoder and decoder work on wire bytes directly
// and consult these tables instead of protobuf Reflection, so no message
// objects are allocated on either path.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/signal.h"

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

enum WireType : std::uint8_t { kVarint = 0, kFixed64Wire = 1, kLen = 2, kStartGroup = 3, kEndGroup = 4, kFixed32Wire = 5 };

struct MessageInfo;

struct FieldInfo {
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
  std::string json_name;      // lowerCamelCase
  std::string proto_name;     // snake_case as in the .proto
  std::string json_key;       // `"jsonName":`, ready to append
  const MessageInfo* message = nullptr;
  const google::protobuf::EnumDescriptor* enum_type = nullptr;
};

struct MessageInfo {
  const google::protobuf::Descriptor* descriptor = nullptr;
  std::vector<FieldInfo> fields;              // declaration order = JSON output order
  std::vector<std::uint8_t> by_number;        // field indices sorted by number = wire output order
  std::vector<std::int8_t> index_of_number;   // field number -> index, -1 when unknown
  int oneof_count = 0;
  std::uint32_t always_emit_mask = 0;  // bit i: fields[i].always_emit
  std::uint32_t oneof_mask = 0;        // bit i: fields[i] is in a oneof
  // Open-addressing table over both key spellings; size is a power of two
  // with at most 25% load, so a lookup is one hash and usually one compare.
  struct KeySlot {
    std::uint32_t hash = 0;
    int index = -1;  // -1: empty
    std::string_view key;
  };
  std::vector<KeySlot> key_table;
  // Bytes the length prefix of this message took last time it was decoded.
  // The decoder reserves that many so it rarely has to shift the payload;
  // only a hint, shared by all threads.
  mutable std::atomic<std::uint8_t> length_width_hint{1};

  static std::uint32_t HashKey(std::string_view key) {
    std::uint32_t h = 2166136261u;  // FNV-1a
    for (const char c : key) h = (h ^ static_cast<std::uint8_t>(c)) * 16777619u;
    return h;
  }
  int IndexOfNumber(std::uint64_t number) const {
    return number < index_of_number.size() ? index_of_number[number] : -1;
  }
  // Accepts the lowerCamelCase JSON name and the original proto name.
  int IndexOfKey(std::string_view key) const {
    const std::uint32_t h = HashKey(key);
    const std::size_t mask = key_table.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const KeySlot& slot = key_table[i];
      if (slot.index < 0) return -1;
      if (slot.hash == h && slot.key == key) return slot.index;
    }
  }
};

// Schema of Export{Trace,Metrics,Logs}ServiceRequest.
const MessageInfo& RequestSchema(Signal signal);

// Schema of any message of the opentelemetry.proto packages, or nullptr.
const MessageInfo* FindSchema(const google::protobuf::Descriptor* descriptor);

}  // namespace otlpd::json::internal
