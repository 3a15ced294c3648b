#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "processors/resourcedetection/detector.h"

namespace otlpd::processors::resourcedetection {

// Parses `k=v,k2=v2` as otelcol's env detector does: keys 1-256 and values
// 0-256 ASCII characters, spaces around keys, values and commas ignored,
// values URL-query-unescaped. Errors carry otelcol's texts
// ("invalid resource format: ...").
Result<Detected> ParseResourceAttributes(std::string_view text);

// `env`: OTEL_RESOURCE_ATTRIBUTES, or (when that is empty) the deprecated
// OTEL_RESOURCE. Both unset or blank: nothing detected.
class EnvDetector : public Detector {
 public:
  // Reads a variable ("" when unset); std::getenv by default. Tests that
  // change the value while a refresh thread reads it pass a synchronised one.
  using Getenv = std::function<std::string(const char* name)>;
  explicit EnvDetector(Getenv getenv = nullptr);
  Result<Detected> Detect(Clock::time_point deadline) override;

 private:
  Getenv getenv_;
};

}  // namespace otlpd::processors::resourcedetection
