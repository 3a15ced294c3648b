#pragma once

// The one rendering of a decoded OTLP AnyValue as text: pcommon's
// Value.AsString() (strings as they are, numbers and bools as Go prints
// them, bytes as base64, maps and slices as Go's json.Marshal of their raw
// form: keys sorted bytewise, the last of a repeated key winning).
//
// Its users differ on two points where Go's own answer is an error or
// depends on the caller, and name their choice in AnyValueTextOptions:
// whether <, > and & in JSON strings are escaped, and what a NaN or an
// infinity becomes. (The wire-level AnyValueView has its own rendering in
// otlp/wire/any_value.h: it walks bytes, not messages.)

#include <string>

#include "internal/json_string.h"
#include "opentelemetry/proto/common/v1/common.pb.h"

namespace otlpd::otlp {

struct AnyValueTextOptions {
  enum class NonFinite {
    kFail,    // as json.Marshal: a map or slice holding one renders as ""
    kQuoted,  // inside JSON as the string "NaN"/"+Inf"/"-Inf"
    kBare,    // inside JSON and alone as NaN/+Inf/-Inf, unquoted
  };
  JsonHtml html = JsonHtml::kEscape;
  NonFinite non_finite = NonFinite::kFail;
};

// pcommon's AsString(). A double that is NaN or infinite alone reads
// "json: unsupported value: NaN" (json.Marshal's error text), except with
// NonFinite::kBare ("NaN").
std::string AnyValueAsString(const opentelemetry::proto::common::v1::AnyValue& value,
                             const AnyValueTextOptions& options);

// `value` as JSON onto `out`; an unset value is null. False (with `out`
// holding a partial rendering) when NonFinite::kFail met a NaN or infinity.
bool AppendAnyValueJson(std::string& out, const opentelemetry::proto::common::v1::AnyValue& value,
                        const AnyValueTextOptions& options);

}  // namespace otlpd::otlp
