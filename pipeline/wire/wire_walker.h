#pragma once

#include <cstdint>
#include <string_view>

#include "pipeline/signal.h"
#include "pipeline/status.h"

namespace otlpd::wire {

// Walks a serialized Export*ServiceRequest of `signal` without decoding it into
// messages: checks tags, wire types and lengths all the way down to the items,
// checks that string fields hold valid UTF-8, and counts the items (spans,
// metric data points, log records). InvalidArgument with a short reason on
// malformed input. Never allocates, never reads out of bounds.
Result<std::uint64_t> ValidateAndCount(Signal signal, std::string_view bytes);

}  // namespace otlpd::wire
