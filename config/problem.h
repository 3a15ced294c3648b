#pragma once

#include <string>

namespace otlpd::config {

// What a component config's Validate() finds wrong with values that each
// decoded fine: the key it is about (relative to the component's section)
// and otelcol's message. Decode() locates it with MapDecoder::Fail.
struct Problem {
  std::string key;
  std::string message;
};

}  // namespace otlpd::config
