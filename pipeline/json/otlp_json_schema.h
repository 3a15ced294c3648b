#pragma once

// Internal to otlpd_json: per-message field tables built once from the
// protobuf Descriptors. The encoder and decoder work on wire bytes directly
// and consult these tables instead of protobuf Reflection, so no message
// objects are allocated on either path.

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

  int IndexOfNumber(std::uint64_t number) const {
    return number < index_of_number.size() ? index_of_number[number] : -1;
  }
  // Accepts the lowerCamelCase JSON name and the original proto name.
  int IndexOfKey(std::string_view key) const {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].json_name == key || fields[i].proto_name == key) return static_cast<int>(i);
    }
    return -1;
  }
};

// Schema of Export{Trace,Metrics,Logs}ServiceRequest.
const MessageInfo& RequestSchema(Signal signal);

// Schema of any message of the opentelemetry.proto packages, or nullptr.
const MessageInfo* FindSchema(const google::protobuf::Descriptor* descriptor);

}  // namespace otlpd::json::internal
