#include "processors/probabilistic_sampler/factory.h"

#include "component/telemetry.h"
#include "processors/probabilistic_sampler/probabilistic_sampler_processor.h"

namespace otlpd::processors::probabilistic_sampler {

ProcessorFactory ProbabilisticSamplerProcessorFactory() {
  return ProcessorFactory{
      .type = "probabilistic_sampler",
      .signals = {Signal::kTraces, Signal::kLogs},
      .create = [](const CreateContext& ctx, const config::Node& node, Signal signal,
                   Consumer* next) -> std::unique_ptr<Processor> {
        config::MapDecoder d(node, ctx.path);
        Config config = Config::Decode(d);
        ComponentTelemetry* t = ctx.Register("processor");
        return std::make_unique<ProbabilisticSamplerProcessor>(signal, config, next, t);
      },
  };
}

}  // namespace otlpd::processors::probabilistic_sampler
