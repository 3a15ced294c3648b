#pragma once

#include "pipeline/factory.h"

namespace otlpd::processors::probabilistic_sampler {

ProcessorFactory ProbabilisticSamplerProcessorFactory();

}  // namespace otlpd::processors::probabilistic_sampler
