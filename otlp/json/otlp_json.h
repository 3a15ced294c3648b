#pragma once

#include <string>
#include <string_view>

#include "internal/signal.h"
#include "internal/status.h"

namespace google::protobuf {
class Message;
}

namespace otlpd::json {

// OTLP/JSON as the OTLP spec defines it: lowerCamelCase keys, trace/span ids as
// hex, enums as integers, 64-bit integers as decimal strings, other bytes as
// base64, NaN/Infinity as strings. The output is what otelcol's file exporter
// writes and what its JSON unmarshalers read.
//
// Both directions walk protobuf wire bytes with tables built once from the
// Descriptors; no message objects are created. Thread-safe.

// Encodes a serialized Export*ServiceRequest of `signal` as one compact JSON
// object (no newline), byte for byte as pdata's JSON marshaler: fields in
// .proto order, zero scalars / empty lists / empty or all-zero ids omitted,
// oneof and `optional` values written even when zero, singular sub-messages
// always written ("status":{}), doubles in Go's shortest form. Two deliberate
// differences, both read back identically by otelcol: infinities are
// "Infinity"/"-Infinity" (proto3 JSON; Go writes "+Inf"/"-Inf"), and invalid
// UTF-8 in strings becomes U+FFFD. Wire data is read as protobuf reads it
// (merged repeats, last oneof member wins, unknown fields skipped).
// InvalidArgument naming the path if the bytes do not parse or an id has the
// wrong length (pdata rejects those too).
Result<std::string> EncodeRequest(Signal signal, std::string_view proto_bytes);

// Encodes any message of the OTLP schema (Export*ServiceResponse, ...) with
// the same rules; other messages (google.rpc.Status with its Any details) as
// protobuf's proto3 JSON with integer enums. Returns "{}" if printing fails.
std::string EncodeMessage(const google::protobuf::Message& message);

// Decodes an OTLP/JSON Export*ServiceRequest body into serialized protobuf
// bytes, equal to what SerializeToString gives for the same message. Accepts
// lowerCamelCase and original snake_case keys, ids in hex of either case
// (all-zero ids count as absent, as in pdata), 64-bit integers as strings or
// numbers, enums as integers (or names), doubles as numbers or
// "NaN"/"Infinity"/"-Infinity"/"+Inf"/"-Inf"; ignores unknown keys; `null`
// is absent; a later duplicate key or oneof member wins. InvalidArgument with
// the path of the offending field ("resourceSpans[0].scopeSpans[0].spans[2]
// .traceId: ...") on bad input, including invalid UTF-8 and more than 64
// nested messages; never crashes on any input. (Go's "-0" reads as +0.)
Result<std::string> DecodeRequest(Signal signal, std::string_view json);

}  // namespace otlpd::json
