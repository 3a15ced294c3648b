#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "component/component.h"
#include "config/decoder.h"
#include "internal/status.h"
#include "opentelemetry/proto/common/v1/common.pb.h"

namespace otlpd::processors::resourcedetection {

using AnyValue = opentelemetry::proto::common::v1::AnyValue;

// What one detector found: attributes in the order it sets them, and the
// semantic-conventions schema URL it speaks ("" when none).
struct Detected {
  std::vector<std::pair<std::string, AnyValue>> attributes;
  std::string schema_url;

  void Put(std::string key, std::string value);
  const AnyValue* Find(std::string_view key) const;
};

// A detector's `resource_attributes.<attr>.enabled` switches (mdatagen's
// ResourceAttributesConfig): the attributes it may emit, each with its
// otelcol default. Unknown attribute names are config errors.
class AttributeSwitches {
 public:
  AttributeSwitches(std::initializer_list<std::pair<const char*, bool>> defaults);
  // Reads `resource_attributes` from a detector's section.
  void Decode(config::MapDecoder& section);
  bool enabled(std::string_view attr) const;

 private:
  std::vector<std::pair<std::string, bool>> switches_;
};

// One resource detector. Detect runs off the data path (at Start and on
// refresh), in its own thread, and returns before `deadline`. An error is
// retried per the processor's `retry`; a missing metadata service is an
// empty result, not an error, unless fail_on_missing_metadata is set.
class Detector {
 public:
  virtual ~Detector() = default;
  virtual Result<Detected> Detect(Clock::time_point deadline) = 0;
};

}  // namespace otlpd::processors::resourcedetection
