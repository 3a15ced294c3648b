#pragma once

#include "component/factory.h"

namespace otlpd::processors::resource {

ProcessorFactory ResourceProcessorFactory();

}  // namespace otlpd::processors::resource
