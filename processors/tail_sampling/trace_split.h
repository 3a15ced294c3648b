// Cuts a serialized ExportTraceServiceRequest into one piece per (resource
// entry, trace id) by walking the wire format: span bytes are copied as
// received, never decoded. Each piece is itself a valid request (one
// ResourceSpans entry) and pieces of one trace concatenate into one.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "internal/status.h"

namespace otlpd::processors::tail_sampling {

struct TraceFragment {
  std::array<unsigned char, 16> trace_id{};  // all zero when the span has none
  // One ResourceSpans entry (field 1 of the request): the resource, then one
  // ScopeSpans per scope entry holding spans of this trace (its scope, then
  // the spans), in received order. Like otelcol's tail sampler, only the
  // resource and scope themselves are carried over: schema_url and unknown
  // fields of ResourceSpans/ScopeSpans are not.
  std::string bytes;
  std::int64_t spans = 0;
  std::uint64_t resource_spans_size = 0;  // the ResourceSpans message size (otelcol's SizeBytes share)
  bool has_root = false;                  // a span with an empty (or all-zero) parent span id
};

// Pieces in order of the resource entries and, within one, of each trace's
// first span. InvalidArgument on bytes that do not walk.
Result<std::vector<TraceFragment>> SplitByTrace(std::string_view request);

}  // namespace otlpd::processors::tail_sampling
