// The per-item sampling decision of otelcol-contrib's probabilistic_sampler
// (v0.165): randomness from the trace id, a hash, an attribute or the
// tracestate; the mode's threshold; fail_closed; the priority override; and
// the threshold (and, in hash_seed mode, randomness) written back into the
// kept item. Works on serialized spans and log records.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "internal/signal.h"
#include "processors/probabilistic_sampler/config.h"
#include "processors/probabilistic_sampler/sampling.h"
#include "processors/probabilistic_sampler/tracestate.h"

namespace otlpd::processors::probabilistic_sampler {

enum class Verdict : std::uint8_t {
  kDrop,
  kKeep,     // unchanged
  kRewrite,  // kept, with the new item bytes appended to the caller's buffer
  kMalformed,
};

// Reusable per-call state, so deciding does not allocate per item.
struct Scratch {
  W3CTraceState trace_state;
  std::string text;
};

class Sampler {
 public:
  // otelcol's makeSampler(): the mode (unset -> hash_seed), percentages over
  // 100 taken as 100, too small ones raised to 2^-56, 0 -> never.
  Sampler(const Config& config, Signal signal);

  // Decides one serialized Span / LogRecord; on kRewrite appends the item's
  // new serialization to `out`.
  Verdict DecideSpan(std::string_view span, Scratch& scratch, std::string& out) const;
  Verdict DecideLogRecord(std::string_view record, Scratch& scratch, std::string& out) const;

  enum class Kind : std::uint8_t { kNever, kHashSeed, kEqualizing, kProportional };
  Kind kind() const { return kind_; }
  Threshold threshold() const { return threshold_; }

 private:
  template <class Carrier>
  Threshold Decide(const Carrier* carrier) const;

  Kind kind_ = Kind::kNever;
  Threshold threshold_ = kNeverSample;  // hash_seed and equalizing
  double ratio_ = 0;                    // proportional
  int precision_ = 4;
  std::uint32_t hash_seed_ = 0;
  bool fail_closed_ = true;
  bool logs_trace_id_enabled_ = true;
  std::string from_attribute_;      // hash_seed logs
  std::string priority_attribute_;  // logs
};

}  // namespace otlpd::processors::probabilistic_sampler
