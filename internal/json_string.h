// A string as Go's encoding/json writes it, for output that must match
// otelcol byte for byte (pcommon's AsString of maps and slices, the debug
// exporter, OTTL's string conversions).
#pragma once

#include <string>
#include <string_view>

namespace otlpd {

// Whether <, > and & become \u003c, \u003e, \u0026: json.Marshal does so,
// an Encoder with SetEscapeHTML(false) (pcommon's AsString) does not.
enum class JsonHtml { kKeep, kEscape };

// Appends `s` quoted as encoding/json (Go 1.22 on) writes it: \" \\ \b \f \n
// \r \t, other bytes below 0x20 as \u00xx, U+2028 and U+2029 as \u2028 and
// \u2029, each byte of invalid UTF-8 as \ufffd; everything else as is.
void AppendGoJsonString(std::string& out, std::string_view s, JsonHtml html);

}  // namespace otlpd
