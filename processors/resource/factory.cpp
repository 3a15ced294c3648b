#include "processors/resource/factory.h"

#include "processors/resource/resource_processor.h"

namespace otlpd::processors::resource {

ProcessorFactory ResourceProcessorFactory() {
  return ProcessorFactory{
      .type = "resource",
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs, Signal::kProfiles},
      .create = [](const CreateContext& ctx, const config::Node& node, Signal signal,
                   Consumer* next) -> std::unique_ptr<Processor> {
        config::MapDecoder d(node, ctx.path);
        return std::make_unique<ResourceProcessor>(signal, Config::Decode(d), next);
      },
  };
}

}  // namespace otlpd::processors::resource
