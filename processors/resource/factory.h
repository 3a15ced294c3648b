#pragma once

#include "pipeline/factory.h"

namespace otlpd::processors::resource {

ProcessorFactory ResourceProcessorFactory();

}  // namespace otlpd::processors::resource
