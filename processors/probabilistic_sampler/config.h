#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/decoder.h"
#include "config/problem.h"

namespace otlpd::processors::probabilistic_sampler {

enum class Mode : std::uint8_t { kUnset, kHashSeed, kEqualizing, kProportional };

// The `probabilistic_sampler` processor's options, named and defaulted as
// otelcol-contrib's (v0.165).
struct Config {
  float sampling_percentage = 0;  // float32, as otelcol: the hash_seed arithmetic depends on it
  std::uint32_t hash_seed = 0;
  Mode mode = Mode::kUnset;  // unset behaves as hash_seed
  bool fail_closed = true;
  int sampling_precision = 4;  // hex digits of threshold written out
  // Logs only. "traceID" or "record"; otelcol also lets an explicit "" through,
  // which disables the trace id source, so it is kept as text.
  std::string attribute_source = "traceID";
  std::string from_attribute;
  std::string sampling_priority;

  // Decodes and validates; throws config::Error located at the offending key.
  static Config Decode(config::MapDecoder& d);
  // otelcol's Config.Validate(): the first problem, if any.
  std::optional<config::Problem> Validate() const;
};

}  // namespace otlpd::processors::probabilistic_sampler
