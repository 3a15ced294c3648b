#pragma once

#include <vector>

#include "component/factory.h"
#include "processors/resourcedetection/resourcedetection_processor.h"

namespace otlpd::processors::resourcedetection {

// The detectors `config.detectors` names, in order, reading the machine and
// the metadata endpoints (with their SDKs' environment overrides).
std::vector<NamedDetector> MakeDetectors(const Config& config);

ProcessorFactory ResourceDetectionProcessorFactory();

}  // namespace otlpd::processors::resourcedetection
