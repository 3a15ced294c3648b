#pragma once

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
  Result<Detected> Detect(Clock::time_point deadline) override;
};

}  // namespace otlpd::processors::resourcedetection
