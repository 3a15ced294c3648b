#pragma once

#include "component/factory.h"

namespace otlpd::processors::transform {

ProcessorFactory TransformProcessorFactory();

}  // namespace otlpd::processors::transform
