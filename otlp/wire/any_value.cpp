#include "otlp/wire/any_value.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "internal/base64.h"
#include "internal/go_format.h"
#include "internal/json_string.h"
#include "internal/text.h"
#include "otlp/wire/field_numbers.h"
#include "otlp/wire/wire_format.h"

namespace otlpd::wire {
namespace {

using wire::Field;
using wire::Reader;
using wire::WireType;

// Writes value.AsRaw() as encoding/json would; false where json.Marshal
// fails (NaN or infinite doubles).
bool AppendJson(std::string& out, const AnyValueView& v, int depth);

bool AppendJsonMessage(std::string& out, std::string_view message, bool is_map, int depth) {
  if (depth > 100) return false;
  Reader r(message);
  Field f;
  if (!is_map) {
    out += '[';
    bool first = true;
    while (!r.AtEnd() && r.ReadField(f)) {
      if (f.number != 1 || f.type != WireType::kLen) continue;
      if (!first) out += ',';
      first = false;
      if (!AppendJson(out, ParseAnyValue(f.payload), depth + 1)) return false;
    }
    out += ']';
    return true;
  }
  // A Go map: the last duplicate key wins, keys come out sorted.
  std::map<std::string_view, std::string_view> entries;
  while (!r.AtEnd() && r.ReadField(f)) {
    if (f.number != 1 || f.type != WireType::kLen) continue;
    std::string_view key;
    std::string_view value;
    if (ParseKeyValue(f.payload, key, value)) entries[key] = value;
  }
  out += '{';
  bool first = true;
  for (const auto& [key, value] : entries) {
    if (!first) out += ',';
    first = false;
    AppendGoJsonString(out, key, JsonHtml::kKeep);
    out += ':';
    if (!AppendJson(out, ParseAnyValue(value), depth + 1)) return false;
  }
  out += '}';
  return true;
}

bool AppendJson(std::string& out, const AnyValueView& v, int depth) {
  switch (v.type) {
    case ValueType::kEmpty: out += "null"; return true;
    case ValueType::kStr: AppendGoJsonString(out, v.bytes, JsonHtml::kKeep); return true;
    case ValueType::kBool: out += v.bool_value ? "true" : "false"; return true;
    case ValueType::kInt: out += std::to_string(v.int_value); return true;
    case ValueType::kDouble:
      if (!std::isfinite(v.double_value)) return false;
      AppendGoJsonFloat(out, v.double_value);
      return true;
    case ValueType::kBytes:
      // pdata's AsRaw() gives a nil slice for no bytes, which JSON writes as null.
      if (v.bytes.empty()) {
        out += "null";
        return true;
      }
      out += '"';
      AppendBase64(out, v.bytes);
      out += '"';
      return true;
    case ValueType::kMap: return AppendJsonMessage(out, v.bytes, true, depth);
    case ValueType::kSlice: return AppendJsonMessage(out, v.bytes, false, depth);
  }
  return false;
}

}  // namespace

AnyValueView ParseAnyValue(std::string_view message) {
  AnyValueView v;
  Reader r(message);
  Field f;
  while (!r.AtEnd()) {
    if (!r.ReadField(f)) return AnyValueView{};
    switch (f.number) {
      case 1:
        if (f.type != WireType::kLen) break;
        v = AnyValueView{ValueType::kStr, f.payload};
        break;
      case 2:
        if (f.type != WireType::kVarint) break;
        v = AnyValueView{};
        v.type = ValueType::kBool;
        v.bool_value = f.value != 0;
        break;
      case 3:
        if (f.type != WireType::kVarint) break;
        v = AnyValueView{};
        v.type = ValueType::kInt;
        v.int_value = static_cast<std::int64_t>(f.value);
        break;
      case 4: {
        if (f.type != WireType::kFixed64) break;
        v = AnyValueView{};
        v.type = ValueType::kDouble;
        std::memcpy(&v.double_value, &f.value, sizeof(double));
        break;
      }
      case 5:
        if (f.type == WireType::kLen) v = AnyValueView{ValueType::kSlice, f.payload};
        break;
      case 6:
        if (f.type == WireType::kLen) v = AnyValueView{ValueType::kMap, f.payload};
        break;
      case 7:
        if (f.type == WireType::kLen) v = AnyValueView{ValueType::kBytes, f.payload};
        break;
      case 8:
        // string_value_strindex (profiles only): pdata has no value type for it.
        v = AnyValueView{};
        break;
      default: break;
    }
  }
  return v;
}

bool ParseKeyValue(std::string_view message, std::string_view& key, std::string_view& value) {
  key = {};
  value = {};
  Reader r(message);
  Field f;
  while (!r.AtEnd()) {
    if (!r.ReadField(f)) return false;
    if (f.type != WireType::kLen) continue;
    if (f.number == 1) key = f.payload;
    if (f.number == 2) value = f.payload;
  }
  return true;
}

bool KeyValueKey(std::string_view message, std::string_view& key) {
  // Canonical: 0x0A len key [0x12 len value] with small lengths, which is
  // what every SDK writes; a second key field would change the answer, so
  // the value must end the message.
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(message[i]); };
  if (message.size() >= 2 && byte(0) == 0x0A && byte(1) < 0x80) {
    std::size_t key_end = 2 + byte(1);
    if (key_end == message.size()) {
      key = message.substr(2, byte(1));
      return true;
    }
    if (key_end + 2 <= message.size() && byte(key_end) == 0x12 && byte(key_end + 1) < 0x80 &&
        key_end + 2 + byte(key_end + 1) == message.size()) {
      key = message.substr(2, byte(1));
      return true;
    }
  }
  std::string_view value;
  return ParseKeyValue(message, key, value);
}

void AppendStringKeyValue(std::string& out, std::uint32_t field, std::string_view key,
                          std::string_view value) {
  std::size_t any_size = 1 + wire::VarintSize(value.size()) + value.size();
  std::size_t kv_size =
      1 + wire::VarintSize(key.size()) + key.size() + 1 + wire::VarintSize(any_size) + any_size;
  wire::AppendTag(out, field, WireType::kLen);
  wire::AppendVarint(out, kv_size);
  wire::AppendLengthDelimited(out, wire::kKeyValueKey, key);
  wire::AppendTag(out, wire::kKeyValueValue, WireType::kLen);
  wire::AppendVarint(out, any_size);
  wire::AppendLengthDelimited(out, wire::kAnyValueString, value);
}

std::string AnyValueAsString(const AnyValueView& v) {
  std::string out;
  switch (v.type) {
    case ValueType::kEmpty: break;
    case ValueType::kStr: out.assign(v.bytes); break;
    case ValueType::kBool: out = v.bool_value ? "true" : "false"; break;
    case ValueType::kInt: out = std::to_string(v.int_value); break;
    case ValueType::kDouble:
      if (std::isnan(v.double_value)) {
        out = "NaN";
      } else if (std::isinf(v.double_value)) {
        out = v.double_value > 0 ? "Infinity" : "-Infinity";
      } else {
        AppendGoJsonFloat(out, v.double_value);
      }
      break;
    case ValueType::kBytes: AppendBase64(out, v.bytes); break;
    case ValueType::kMap:
    case ValueType::kSlice:
      if (!AppendJson(out, v, 0)) out.clear();
      break;
  }
  return out;
}

}  // namespace otlpd::wire
