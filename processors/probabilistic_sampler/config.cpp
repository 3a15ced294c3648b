#include "processors/probabilistic_sampler/config.h"

#include <cmath>
#include <cstdio>

#include "processors/probabilistic_sampler/sampling.h"

namespace otlpd::processors::probabilistic_sampler {
namespace {

// Go's %f and %g renderings of a float32, for messages that match otelcol's.
std::string GoF(float v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%f", static_cast<double>(v));
  return buf;
}
std::string GoG(float v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
  return buf;
}

}  // namespace

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  d.Optional("sampling_percentage", c.sampling_percentage);
  d.Optional("hash_seed", c.hash_seed);
  std::string mode;
  if (d.Optional("mode", mode)) {
    if (mode.empty()) {
      c.mode = Mode::kUnset;
    } else if (mode == "hash_seed") {
      c.mode = Mode::kHashSeed;
    } else if (mode == "equalizing") {
      c.mode = Mode::kEqualizing;
    } else if (mode == "proportional") {
      c.mode = Mode::kProportional;
    } else {
      d.Fail("mode", "unsupported sampler mode \"" + mode + "\"");
    }
  }
  d.Optional("fail_closed", c.fail_closed);
  d.Optional("sampling_precision", c.sampling_precision);
  d.Optional("attribute_source", c.attribute_source);
  d.Optional("from_attribute", c.from_attribute);
  d.Optional("sampling_priority", c.sampling_priority);
  d.Finish();
  if (std::optional<config::Problem> p = c.Validate()) d.Fail(p->key, p->message);
  return c;
}

std::optional<config::Problem> Config::Validate() const {
  auto pct = static_cast<double>(sampling_percentage);
  if (std::isinf(pct) || std::isnan(pct)) {
    return config::Problem{"sampling_percentage",
                           "sampling rate is invalid: " + GoF(sampling_percentage) + "%"};
  }
  double ratio = pct / 100.0;
  if (ratio < 0)
    return config::Problem{"sampling_percentage",
                           "sampling rate is negative: " + GoF(sampling_percentage) + "%"};
  if (ratio != 0 && ratio < kMinSamplingProbability) {
    return config::Problem{"sampling_percentage",
                           "sampling rate is too small: " + GoG(sampling_percentage) + "%"};
  }
  if (!attribute_source.empty() && attribute_source != "traceID" && attribute_source != "record") {
    return config::Problem{"attribute_source",
                           "invalid attribute source: " + attribute_source + ". Expected: traceID or record"};
  }
  if (sampling_precision == 0) return config::Problem{"sampling_precision", "invalid sampling precision: 0"};
  if (sampling_precision > kNumHexDigits) {
    return config::Problem{"sampling_precision", "sampling precision is too great, should be <= 14: " +
                                                     std::to_string(sampling_precision)};
  }
  return std::nullopt;
}

}  // namespace otlpd::processors::probabilistic_sampler
