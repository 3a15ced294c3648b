#include "processors/batch/factory.h"

#include "processors/batch/batch_processor.h"

namespace otlpd::processors::batch {

ProcessorFactory BatchProcessorFactory() {
  return ProcessorFactory{
      .type = "batch",
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
      .create = [](const CreateContext& ctx, const config::Node& node, Signal signal,
                   Consumer* next) -> std::unique_ptr<Processor> {
        config::MapDecoder d(node, ctx.path);
        return std::make_unique<BatchProcessor>(ctx.id.ToString(), signal, Config::Decode(d), next,
                                                ctx.Register("processor"));
      },
  };
}

}  // namespace otlpd::processors::batch
