#pragma once

#include "component/factory.h"

namespace otlpd::processors::memory_limiter {

ProcessorFactory MemoryLimiterProcessorFactory();

}  // namespace otlpd::processors::memory_limiter
