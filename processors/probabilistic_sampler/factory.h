#pragma once

#include "component/factory.h"

namespace otlpd::processors::probabilistic_sampler {

ProcessorFactory ProbabilisticSamplerProcessorFactory();

}  // namespace otlpd::processors::probabilistic_sampler
