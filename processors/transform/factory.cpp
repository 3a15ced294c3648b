#include "processors/transform/factory.h"

#include "processors/transform/transform_processor.h"

namespace otlpd::processors::transform {

ProcessorFactory TransformProcessorFactory() {
  return ProcessorFactory{
      .type = "transform",
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
      .create = [](const CreateContext& ctx, const config::Node& node, Signal signal,
                   Consumer* next) -> std::unique_ptr<Processor> {
        config::MapDecoder d(node, ctx.path);
        return std::make_unique<TransformProcessor>(signal, std::make_shared<const Config>(Config::Decode(d)),
                                                    next);
      },
  };
}

}  // namespace otlpd::processors::transform
