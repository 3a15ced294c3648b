#pragma once

namespace otlpd::wire {

// Deepest message nesting accepted from a client, in every encoding: the
// request itself is depth 0 and every message inside a message adds one
// (an AnyValue inside a kvlist costs three levels, inside an array two).
// It is protobuf C++'s default recursion limit, so whatever the wire walker or
// the OTLP/JSON decoder accepts also parses with ParseFromString, and data
// valid over protobuf is never refused over JSON for being deep.
inline constexpr int kMaxNestingDepth = 100;

}  // namespace otlpd::wire
