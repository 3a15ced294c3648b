#pragma once

#include "component/factory.h"

namespace otlpd::processors::filter {

ProcessorFactory FilterProcessorFactory();

}  // namespace otlpd::processors::filter
