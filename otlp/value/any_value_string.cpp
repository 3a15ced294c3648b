#include "otlp/value/any_value_string.h"

#include <cmath>
#include <map>
#include <string_view>

#include "internal/base64.h"
#include "internal/go_format.h"

namespace otlpd::otlp {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using NonFinite = AnyValueTextOptions::NonFinite;

bool AppendAnyValueJson(std::string& out, const AnyValue& v, const AnyValueTextOptions& options) {
  switch (v.value_case()) {
    case AnyValue::kStringValue: AppendGoJsonString(out, v.string_value(), options.html); return true;
    case AnyValue::kBoolValue: out += v.bool_value() ? "true" : "false"; return true;
    case AnyValue::kIntValue: out += std::to_string(v.int_value()); return true;
    case AnyValue::kDoubleValue:
      if (std::isfinite(v.double_value()) || options.non_finite == NonFinite::kBare) {
        AppendGoJsonFloat(out, v.double_value());
        return true;
      }
      if (options.non_finite == NonFinite::kFail) return false;
      AppendGoJsonString(out, GoFloat(v.double_value()), options.html);
      return true;
    case AnyValue::kBytesValue: AppendGoJsonString(out, Base64(v.bytes_value()), options.html); return true;
    case AnyValue::kArrayValue: {
      out += '[';
      bool first = true;
      for (const AnyValue& item : v.array_value().values()) {
        if (!first) out += ',';
        first = false;
        if (!AppendAnyValueJson(out, item, options)) return false;
      }
      out += ']';
      return true;
    }
    case AnyValue::kKvlistValue: {
      std::map<std::string_view, const AnyValue*> sorted;
      for (const KeyValue& kv : v.kvlist_value().values()) sorted[kv.key()] = &kv.value();
      out += '{';
      bool first = true;
      for (const auto& [key, item] : sorted) {
        if (!first) out += ',';
        first = false;
        AppendGoJsonString(out, key, options.html);
        out += ':';
        if (!AppendAnyValueJson(out, *item, options)) return false;
      }
      out += '}';
      return true;
    }
    // Empty, or string_value_strindex (which only means something inside profiles).
    case AnyValue::kStringValueStrindex:
    case AnyValue::VALUE_NOT_SET: out += "null"; return true;
  }
  out += "null";
  return true;
}

std::string AnyValueAsString(const AnyValue& v, const AnyValueTextOptions& options) {
  switch (v.value_case()) {
    case AnyValue::kStringValue: return v.string_value();
    case AnyValue::kBoolValue: return v.bool_value() ? "true" : "false";
    case AnyValue::kIntValue: return std::to_string(v.int_value());
    case AnyValue::kDoubleValue:
      if (!std::isfinite(v.double_value()) && options.non_finite != NonFinite::kBare) {
        return "json: unsupported value: " + GoFloat(v.double_value());
      }
      return GoJsonFloat(v.double_value());
    case AnyValue::kBytesValue: return Base64(v.bytes_value());
    case AnyValue::kArrayValue:
    case AnyValue::kKvlistValue: {
      std::string out;
      return AppendAnyValueJson(out, v, options) ? out : std::string();
    }
    case AnyValue::kStringValueStrindex:
    case AnyValue::VALUE_NOT_SET: return "";
  }
  return "";
}

}  // namespace otlpd::otlp
