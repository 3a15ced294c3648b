#include "processors/resourcedetection/factory.h"

#include "processors/resourcedetection/env_detector.h"
#include "processors/resourcedetection/system_detector.h"

namespace otlpd::processors::resourcedetection {

std::vector<NamedDetector> MakeDetectors(const Config& config) {
  std::vector<NamedDetector> out;
  for (const std::string& name : config.detectors) {
    std::unique_ptr<Detector> d;
    if (name == "env") {
      d = std::make_unique<EnvDetector>();
    } else if (name == "system") {
      d = std::make_unique<SystemDetector>(config.system, SystemSources{});
    }
    // Config::Decode refused every other name.
    if (d != nullptr) out.push_back(NamedDetector{name, std::move(d)});
  }
  return out;
}

ProcessorFactory ResourceDetectionProcessorFactory() {
  return ProcessorFactory{
      .type = "resourcedetection",
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
      .create = [](const CreateContext& ctx, const config::Node& node, Signal signal,
                   Consumer* next) -> std::unique_ptr<Processor> {
        config::MapDecoder d(node, ctx.path);
        Config config = Config::Decode(d);
        std::vector<NamedDetector> detectors = MakeDetectors(config);
        return std::make_unique<ResourceDetectionProcessor>(ctx.id.ToString(), signal, std::move(config),
                                                            std::move(detectors), next);
      },
  };
}

}  // namespace otlpd::processors::resourcedetection
