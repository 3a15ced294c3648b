#include "processors/k8sattributes/factory.h"

#include <map>
#include <mutex>

#include "processors/k8sattributes/k8sattributes_processor.h"

namespace otlpd::processors::k8sattributes {

ProcessorFactory K8sAttributesProcessorFactory() {
  // One Kube (informers) per (service build, processor id): every
  // pipeline's instance of a processor id shares one set of watches. A
  // reload's new build starts its own.
  struct Registry {
    std::mutex mu;
    std::map<std::pair<const void*, std::string>, std::weak_ptr<Kube>> kubes;
  };
  auto registry = std::make_shared<Registry>();
  return ProcessorFactory{
      .type = "k8sattributes",
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
      .create = [registry](const CreateContext& ctx, const config::Node& node, Signal signal,
                           Consumer* next) -> std::unique_ptr<Processor> {
        config::MapDecoder d(node, ctx.path);
        Config config = Config::Decode(d);
        const std::string id = ctx.id.ToString();
        std::shared_ptr<Kube> kube;
        std::lock_guard<std::mutex> lock(registry->mu);
        std::erase_if(registry->kubes, [](const auto& kv) { return kv.second.expired(); });
        const auto key = std::make_pair(ctx.service, id);
        if (ctx.service != nullptr) {
          if (auto it = registry->kubes.find(key); it != registry->kubes.end()) kube = it->second.lock();
        }
        if (kube == nullptr) {
          kube = std::make_shared<Kube>(std::move(config), KubeOptions{});
          if (ctx.service != nullptr) registry->kubes[key] = kube;
          ctx.Register("processor")->metrics = [weak = std::weak_ptr<Kube>(kube)] {
            auto k = weak.lock();
            return k != nullptr ? k->Metrics() : std::vector<ComponentMetric>{};
          };
        }
        return std::make_unique<K8sAttributesProcessor>(signal, std::move(kube), next);
      },
  };
}

}  // namespace otlpd::processors::k8sattributes
