#include "processors/tail_sampling/factory.h"

#include "component/telemetry.h"
#include "processors/tail_sampling/tail_sampling_processor.h"

namespace otlpd::processors::tail_sampling {

ProcessorFactory TailSamplingProcessorFactory() {
  return ProcessorFactory{
      .type = "tail_sampling",
      .signals = {Signal::kTraces},
      .create = [](const CreateContext& ctx, const config::Node& node, Signal,
                   Consumer* next) -> std::unique_ptr<Processor> {
        config::MapDecoder d(node, ctx.path);
        auto config = std::make_shared<const Config>(Config::Decode(d));
        ComponentTelemetry* t = ctx.Register("processor");
        ProcessorOptions options;
        options.name = ctx.id.name;
        return std::make_unique<TailSamplingProcessor>(std::move(config), next, t, std::move(options));
      },
  };
}

}  // namespace otlpd::processors::tail_sampling
