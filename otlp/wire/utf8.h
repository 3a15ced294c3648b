// UTF-8 validation with protobuf's rules for proto3 `string` fields.
#pragma once

#include <string_view>

namespace otlpd::wire {

// True for well-formed UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF),
// nothing above U+10FFFF, no truncated sequences. Those are the sequences
// protobuf's parser rejects in proto3 strings.
bool IsValidUtf8(std::string_view s);

}  // namespace otlpd::wire
