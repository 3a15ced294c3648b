#include "processors/attributes/factory.h"

#include "processors/attributes/attributes_processor.h"

namespace otlpd::processors::attributes {

ProcessorFactory AttributesProcessorFactory() {
  return ProcessorFactory{
      .type = "attributes",
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
      .create = [](const CreateContext& ctx, const config::Node& node, Signal signal,
                   Consumer* next) -> std::unique_ptr<Processor> {
        config::MapDecoder d(node, ctx.path);
        return std::make_unique<AttributesProcessor>(
            signal, std::make_shared<const Config>(Config::Decode(d, signal)), next);
      },
  };
}

}  // namespace otlpd::processors::attributes
