// OTLP's KeyValue / AnyValue read on the wire, without a protobuf decode:
// find an attribute, read its value the way pdata does, write a string one.
// For components that look at a few attributes of requests they pass on as
// bytes (probabilistic_sampler, loadbalancing).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otlpd::wire {

// pdata's ValueType of an AnyValue.
enum class ValueType : std::uint8_t { kEmpty, kStr, kBool, kInt, kDouble, kMap, kSlice, kBytes };

struct AnyValueView {
  ValueType type = ValueType::kEmpty;
  std::string_view bytes;  // kStr, kBytes: the value; kMap, kSlice: the nested message
  std::int64_t int_value = 0;
  double double_value = 0;
  bool bool_value = false;
};

// Decodes an AnyValue message; the last oneof member on the wire wins, as in
// protobuf. Malformed input gives kEmpty.
AnyValueView ParseAnyValue(std::string_view message);

// Splits a KeyValue message into its key and its AnyValue message (empty
// when absent). False when malformed.
bool ParseKeyValue(std::string_view message, std::string_view& key, std::string_view& value);

// The key of a KeyValue message, cheaply: only the canonical layout (key,
// then at most a value that ends the message) is read here; anything else
// goes through ParseKeyValue. False when malformed.
bool KeyValueKey(std::string_view message, std::string_view& key);

// Appends a whole KeyValue field (tag `field`, key, string value) as pdata
// would serialize PutStr(key, value).
void AppendStringKeyValue(std::string& out, std::uint32_t field, std::string_view key,
                          std::string_view value);

// pcommon.Value.AsString(): strings as they are, numbers and bools as Go
// formats them, maps and slices as Go's encoding/json writes their AsRaw(),
// bytes in standard base64.
std::string AnyValueAsString(const AnyValueView& value);

}  // namespace otlpd::wire
