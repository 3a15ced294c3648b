#pragma once

#include "pipeline/factory.h"

namespace otlpd::processors::batch {

ProcessorFactory BatchProcessorFactory();

}  // namespace otlpd::processors::batch
