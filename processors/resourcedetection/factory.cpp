#include "processors/resourcedetection/factory.h"

#include <map>
#include <mutex>

#include <spdlog/spdlog.h>

#include "processors/resourcedetection/cloud_detectors.h"
#include "processors/resourcedetection/docker_detector.h"
#include "processors/resourcedetection/env_detector.h"
#include "processors/resourcedetection/k8snode_detector.h"
#include "processors/resourcedetection/system_detector.h"

namespace otlpd::processors::resourcedetection {

namespace {

// An endpoint override from the environment that does not parse falls back
// to the documented address, with a warning (the SDKs fail their first call).
MetadataEndpoint Endpoint(Result<MetadataEndpoint> e) {
  if (e.ok()) return *e;
  spdlog::warn("resourcedetection: {}; using 169.254.169.254", e.status().message());
  return MetadataEndpoint{"169.254.169.254", "80", ""};
}

}  // namespace

std::vector<NamedDetector> MakeDetectors(const Config& config) {
  std::vector<NamedDetector> out;
  for (const std::string& name : config.detectors) {
    std::unique_ptr<Detector> d;
    if (name == "env") {
      d = std::make_unique<EnvDetector>();
    } else if (name == "system") {
      d = std::make_unique<SystemDetector>(config.system, SystemSources{});
    } else if (name == "ec2") {
      d = std::make_unique<Ec2Detector>(config.ec2, Endpoint(Ec2Detector::EndpointFromEnv()),
                                        config.fail_on_missing_metadata);
    } else if (name == "azure") {
      d = std::make_unique<AzureDetector>(config.azure, MetadataEndpoint{"169.254.169.254", "80", ""},
                                          config.fail_on_missing_metadata);
    } else if (name == "docker") {
      Result<MetadataEndpoint> ep = DockerDetector::EndpointFromEnv();
      if (!ep.ok())
        spdlog::warn("resourcedetection: {}; using unix:///var/run/docker.sock", ep.status().message());
      MetadataEndpoint fallback;
      fallback.host = "docker";
      fallback.unix_path = "/var/run/docker.sock";
      d = std::make_unique<DockerDetector>(config.docker, ep.ok() ? *ep : fallback);
    } else if (name == "k8s_api" || name == "k8snode") {
      d = std::make_unique<K8sNodeDetector>(config.k8snode);
    } else if (name == "gcp") {
      d = std::make_unique<GcpDetector>(config.gcp, Endpoint(GcpDetector::EndpointFromEnv()),
                                        config.fail_on_missing_metadata);
    }
    // Config::Decode refused every other name.
    if (d != nullptr) out.push_back(NamedDetector{name, std::move(d)});
  }
  return out;
}

ProcessorFactory ResourceDetectionProcessorFactory() {
  // Providers by (service build, processor id): every pipeline's instance of
  // one processor shares one detection. A service build is told apart by its
  // pipeline list, so a reload's new instances detect afresh.
  struct Registry {
    std::mutex mu;
    std::map<std::pair<const void*, std::string>, std::weak_ptr<ResourceProvider>> providers;
  };
  auto registry = std::make_shared<Registry>();
  return ProcessorFactory{
      .type = "resourcedetection",
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
      .create = [registry](const CreateContext& ctx, const config::Node& node, Signal signal,
                           Consumer* next) -> std::unique_ptr<Processor> {
        config::MapDecoder d(node, ctx.path);
        Config config = Config::Decode(d);
        const std::string id = ctx.id.ToString();
        std::shared_ptr<ResourceProvider> provider;
        std::lock_guard<std::mutex> lock(registry->mu);
        for (auto it = registry->providers.begin(); it != registry->providers.end();) {
          it = it->second.expired() ? registry->providers.erase(it) : std::next(it);
        }
        const auto key = std::make_pair(ctx.service, id);
        if (ctx.service != nullptr) {
          if (auto it = registry->providers.find(key); it != registry->providers.end())
            provider = it->second.lock();
        }
        if (provider == nullptr) {
          std::vector<NamedDetector> detectors = MakeDetectors(config);
          provider = std::make_shared<ResourceProvider>(std::move(config), std::move(detectors));
          if (ctx.service != nullptr) registry->providers[key] = provider;
        }
        return std::make_unique<ResourceDetectionProcessor>(id, signal, std::move(provider), next);
      },
  };
}

}  // namespace otlpd::processors::resourcedetection
