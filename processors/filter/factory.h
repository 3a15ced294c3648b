#pragma once

#include "pipeline/factory.h"

namespace otlpd::processors::filter {

ProcessorFactory FilterProcessorFactory();

}  // namespace otlpd::processors::filter
