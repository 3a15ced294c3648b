#pragma once

#include "component/factory.h"

namespace otlpd::processors::tail_sampling {

ProcessorFactory TailSamplingProcessorFactory();

}  // namespace otlpd::processors::tail_sampling
