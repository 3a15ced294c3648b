#pragma once

#include "pipeline/factory.h"

namespace otlpd::processors::transform {

ProcessorFactory TransformProcessorFactory();

}  // namespace otlpd::processors::transform
