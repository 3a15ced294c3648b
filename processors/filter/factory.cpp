#include "processors/filter/factory.h"

#include "component/telemetry.h"
#include "processors/filter/filter_processor.h"

namespace otlpd::processors::filter {

ProcessorFactory FilterProcessorFactory() {
  return ProcessorFactory{
      .type = "filter",
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
      .create = [](const CreateContext& ctx, const config::Node& node, Signal signal,
                   Consumer* next) -> std::unique_ptr<Processor> {
        config::MapDecoder d(node, ctx.path);
        auto config = std::make_shared<const Config>(Config::Decode(d));
        ComponentTelemetry* t = ctx.Register("processor");
        return std::make_unique<FilterProcessor>(signal, std::move(config), next, t);
      },
  };
}

}  // namespace otlpd::processors::filter
