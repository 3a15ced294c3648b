#pragma once

#include <string>
#include <string_view>

#include "pipeline/signal.h"
#include "pipeline/status.h"

namespace google::protobuf {
class Message;
}

namespace otlpd::json {

// OTLP/JSON as the OTLP spec defines it: lowerCamelCase keys, trace/span ids as
// hex, enums as integers, 64-bit integers as decimal strings, other bytes as
// base64, NaN/Infinity as strings. The output is what otelcol's file exporter
// writes and what its JSON unmarshalers read.

// Encodes a serialized Export*ServiceRequest of `signal` as one compact JSON
// object (no newline). InvalidArgument if the bytes do not parse.
Result<std::string> EncodeRequest(Signal signal, std::string_view proto_bytes);

// Encodes any message of the OTLP schema (Export*ServiceResponse,
// google.rpc.Status, ...) with the same rules.
std::string EncodeMessage(const google::protobuf::Message& message);

// Decodes an OTLP/JSON Export*ServiceRequest body into serialized protobuf
// bytes. Accepts lowerCamelCase and original snake_case keys, ids in hex,
// 64-bit integers as strings or numbers, enums as integers (or names), and
// ignores unknown keys. InvalidArgument with a message naming the offending
// field on bad input; never crashes on any input.
Result<std::string> DecodeRequest(Signal signal, std::string_view json);

}  // namespace otlpd::json
