// W3C tracestate with its OpenTelemetry `ot` member, parsed and written the
// way otelcol-contrib's pkg/sampling does, so that a span's tracestate comes
// out of the sampler exactly as otelcol would write it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "processors/probabilistic_sampler/sampling.h"

namespace otlpd::processors::probabilistic_sampler {

struct TraceStateEntry {
  std::string_view key;
  std::string_view value;
};

// The `ot=` member: `rv` (randomness), `th` (threshold) and any other keys,
// which are carried along.
struct OTelTraceState {
  HexValue rvalue;  // as received (case kept) or as generated
  Randomness randomness;
  HexValue tvalue;
  Threshold threshold;
  std::vector<TraceStateEntry> extras;

  bool HasAnyValue() const { return !rvalue.empty() || !tvalue.empty() || !extras.empty(); }
  void Clear();
};

// A parsed tracestate. Keys and values of the extras point into the parsed
// text, which must outlive this.
struct W3CTraceState {
  OTelTraceState otel;
  std::vector<TraceStateEntry> extras;  // the other vendors' members, in order

  void Clear();
};

// Parses `input` into `out`; false when it is invalid (bad syntax, over the
// size limits, more than 31 list members, or an unparsable `ot` member),
// in which case `out` holds what pkg/sampling's parser keeps: nothing for a
// syntax or size error, the members read so far otherwise.
bool ParseW3CTraceState(std::string_view input, W3CTraceState& out);

// Writes the tracestate the way pkg/sampling serializes it: `ot=` first
// (rv, th, then other keys), then the other members; whitespace and empty
// members are gone.
void SerializeW3CTraceState(const W3CTraceState& state, std::string& out);

}  // namespace otlpd::processors::probabilistic_sampler
