#pragma once

#include <string_view>

#include "ottl/value.h"

namespace otlpd::ottl {

// OTTL's ParseJSON: an object becomes a Map (keys in document order, a
// repeated key keeps its first place and its last value), an array a Slice,
// every number a double (as Go's decoder into `any` makes them). A scalar at
// the top level or malformed JSON is an error. Nesting is bounded (512) so
// hostile input cannot exhaust the stack.
Result<Value> ParseJsonValue(std::string_view text);

}  // namespace otlpd::ottl
