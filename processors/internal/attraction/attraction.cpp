#include "processors/internal/attraction/attraction.h"

#include <openssl/evp.h>
#include <re2/re2.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>

#include "internal/base64.h"
#include "internal/go_format.h"
#include "internal/json_string.h"
#include "internal/text.h"
#include "otlp/value/any_value_string.h"

namespace otlpd::processors::attraction {
namespace {

using opentelemetry::proto::common::v1::KeyValue;

KeyValue* Find(KeyValues& attributes, std::string_view key) {
  for (KeyValue& kv : attributes) {
    if (kv.key() == key) return &kv;
  }
  return nullptr;
}

// otelcol reads client.Info: "metadata.<key>" (values joined by ';'), a bare
// key (the same, kept for backwards compatibility) or "auth.<attr>". otlpd has
// no authenticators, so auth data is never present, exactly as in an otelcol
// without an auth extension.
std::optional<AnyValue> FromContext(std::string_view name, const Metadata* metadata) {
  constexpr std::string_view kMetadataPrefix = "metadata.";
  if (name.starts_with("auth.") || metadata == nullptr) return std::nullopt;
  if (name.starts_with(kMetadataPrefix)) name.remove_prefix(kMetadataPrefix.size());
  // Receivers store metadata keys lower-case; header names are case-insensitive.
  const std::string key = AsciiLower(name);
  std::string joined;
  bool found = false;
  for (const auto& [k, v] : *metadata) {
    if (k != key) continue;
    if (found) joined += ';';
    joined += v;
    found = true;
  }
  if (!found) return std::nullopt;
  AnyValue value;
  value.set_string_value(std::move(joined));
  return value;
}

std::optional<AnyValue> SourceValue(const Action& a, KeyValues& attributes, const Metadata* metadata) {
  std::optional<AnyValue> v;
  if (a.value) {
    v = a.value;
  } else if (!a.from_context.empty()) {
    v = FromContext(a.from_context, metadata);
  } else if (!a.from_attribute.empty()) {
    if (const KeyValue* kv = Find(attributes, a.from_attribute)) v = kv->value();
  }
  if (!v) v = a.default_value;
  return v;
}

bool Matches(const Action& a, const std::string& key) {
  return a.pattern != nullptr && re2::RE2::PartialMatch(key, *a.pattern);
}

bool Delete(const Action& a, KeyValues& attributes) {
  const auto old_size = attributes.size();
  auto doomed = [&](const KeyValue& kv) {
    return (!a.key.empty() && kv.key() == a.key) || Matches(a, kv.key());
  };
  attributes.erase(std::remove_if(attributes.begin(), attributes.end(), doomed), attributes.end());
  return attributes.size() != old_size;
}

bool Hash(const Action& a, KeyValues& attributes) {
  bool changed = false;
  if (KeyValue* kv = a.key.empty() ? nullptr : Find(attributes, a.key)) {
    HashValue(*kv->mutable_value());
    changed = true;
  }
  // otelcol hashes `key`, then every key matching `pattern`: a key matched by
  // both is hashed twice there, and so it is here.
  for (KeyValue& kv : attributes) {
    if (Matches(a, kv.key())) {
      HashValue(*kv.mutable_value());
      changed = true;
    }
  }
  return changed;
}

bool Extract(const Action& a, KeyValues& attributes) {
  const KeyValue* source = Find(attributes, a.key);
  if (source == nullptr || !source->value().has_string_value()) return false;
  const std::string text = source->value().string_value();  // a copy: writes below may hit `source`
  const int groups = static_cast<int>(a.group_names.size());
  std::vector<re2::StringPiece> match(static_cast<std::size_t>(groups) + 1);
  if (!a.pattern->Match(text, 0, text.size(), re2::RE2::UNANCHORED, match.data(), groups + 1)) return false;
  for (int i = 1; i <= groups; ++i) {
    const std::string& name = a.group_names[static_cast<std::size_t>(i - 1)];
    KeyValue* kv = Find(attributes, name);
    if (kv == nullptr) {
      kv = attributes.Add();
      kv->set_key(name);
    }
    kv->mutable_value()->set_string_value(std::string(match[static_cast<std::size_t>(i)]));
  }
  return true;
}

bool Apply(const Action& a, KeyValues& attributes, const Metadata* metadata) {
  switch (a.type) {
    case ActionType::kDelete: return Delete(a, attributes);
    case ActionType::kHash: return Hash(a, attributes);
    case ActionType::kExtract: return Extract(a, attributes);
    case ActionType::kConvert: {
      KeyValue* kv = Find(attributes, a.key);
      if (kv == nullptr) return false;
      const std::string before = kv->value().SerializeAsString();
      ConvertValue(*kv->mutable_value(), a.converted_type);
      return kv->value().SerializeAsString() != before;
    }
    case ActionType::kInsert:
    case ActionType::kUpdate:
    case ActionType::kUpsert: {
      std::optional<AnyValue> v = SourceValue(a, attributes, metadata);
      if (!v) return false;
      KeyValue* kv = Find(attributes, a.key);
      if (kv != nullptr && a.type == ActionType::kInsert) return false;
      if (kv == nullptr && a.type == ActionType::kUpdate) return false;
      if (kv == nullptr) {
        kv = attributes.Add();
        kv->set_key(a.key);
      }
      *kv->mutable_value() = std::move(*v);
      return true;
    }
  }
  return false;
}

void AppendLittleEndian(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// pcommon's AsString as the attributes and resource processors use it: a
// map or slice holding a NaN or an infinity renders as "" (json.Marshal fails).
constexpr otlp::AnyValueTextOptions kTextOptions{JsonHtml::kKeep,
                                                 otlp::AnyValueTextOptions::NonFinite::kFail};

// strconv.ParseInt(s, 10, 64): optional sign, decimal digits, nothing else.
std::optional<std::int64_t> ParseInt(std::string_view s) {
  if (s.starts_with('+')) s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// strconv.ParseFloat(s, 64) for decimal forms, inf and nan.
std::optional<double> ParseFloat(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s[0] == '+' || s[0] == '-') return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return negative ? -v : v;
}

// Go's int64(float64): out-of-range and NaN give the minimum on amd64;
// the same here, where C++ would leave it undefined.
std::int64_t TruncateToInt(double d) {
  if (std::isnan(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return static_cast<std::int64_t>(d);
}

}  // namespace

bool ApplyActions(const std::vector<Action>& actions, KeyValues& attributes, const Metadata* metadata) {
  bool changed = false;
  for (const Action& a : actions) changed = Apply(a, attributes, metadata) || changed;
  return changed;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  return HexLower(std::string_view(reinterpret_cast<const char*>(digest), size));
}

void HashValue(AnyValue& value) {
  std::string bytes;
  switch (value.value_case()) {
    case AnyValue::kStringValue: bytes = value.string_value(); break;
    case AnyValue::kBoolValue: bytes.push_back(value.bool_value() ? '\1' : '\0'); break;
    case AnyValue::kIntValue: AppendLittleEndian(bytes, static_cast<std::uint64_t>(value.int_value())); break;
    case AnyValue::kDoubleValue:
      AppendLittleEndian(bytes, std::bit_cast<std::uint64_t>(value.double_value()));
      break;
    default:
      // Bytes, lists, maps and empty values become "" in otelcol too.
      value.set_string_value(std::string());
      return;
  }
  // An empty string is hashed like any other (v0.161's attraction does so).
  value.set_string_value(Sha256Hex(bytes));
}

void ConvertValue(AnyValue& value, ConvertedType to) {
  switch (to) {
    case ConvertedType::kNone: return;
    case ConvertedType::kString:
      if (!value.has_string_value()) value.set_string_value(ValueAsString(value));
      return;
    case ConvertedType::kInt:
      switch (value.value_case()) {
        case AnyValue::kDoubleValue: value.set_int_value(TruncateToInt(value.double_value())); return;
        case AnyValue::kBoolValue: value.set_int_value(value.bool_value() ? 1 : 0); return;
        case AnyValue::kStringValue:
          if (auto v = ParseInt(value.string_value())) value.set_int_value(*v);
          return;
        default: return;
      }
    case ConvertedType::kDouble:
      switch (value.value_case()) {
        case AnyValue::kIntValue: value.set_double_value(static_cast<double>(value.int_value())); return;
        case AnyValue::kBoolValue: value.set_double_value(value.bool_value() ? 1 : 0); return;
        case AnyValue::kStringValue:
          if (auto v = ParseFloat(value.string_value())) value.set_double_value(*v);
          return;
        default: return;
      }
  }
}

std::string ValueAsString(const AnyValue& value) { return otlp::AnyValueAsString(value, kTextOptions); }

}  // namespace otlpd::processors::attraction
