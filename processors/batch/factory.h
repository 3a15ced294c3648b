#pragma once

#include "component/factory.h"

namespace otlpd::processors::batch {

ProcessorFactory BatchProcessorFactory();

}  // namespace otlpd::processors::batch
