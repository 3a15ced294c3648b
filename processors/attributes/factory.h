#pragma once

#include "component/factory.h"

namespace otlpd::processors::attributes {

ProcessorFactory AttributesProcessorFactory();

}  // namespace otlpd::processors::attributes
