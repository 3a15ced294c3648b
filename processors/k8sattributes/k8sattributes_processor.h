#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "component/component.h"
#include "component/telemetry.h"
#include "k8s/reflector.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"
#include "processors/k8sattributes/config.h"
#include "processors/k8sattributes/pod_store.h"

namespace otlpd::processors::k8sattributes {

// Knobs otelcol does not expose, for tests.
struct KubeOptions {
  std::chrono::milliseconds delete_grace{std::chrono::seconds(120)};
  std::chrono::milliseconds purge_interval{std::chrono::seconds(30)};
  k8s::ReflectorOptions reflector;
  k8s::InClusterPaths in_cluster;
};

// The informers of one processor id: a PodStore fed by reflectors for pods
// (after the namespaces, nodes and ReplicaSets it needs have synced) and a
// thread that drops deleted pods after their grace period. Every pipeline's
// instance of the id shares it, as otelcol's factory shares the kube client.
class Kube {
 public:
  Kube(Config config, KubeOptions options);
  ~Kube();

  const Config& config() const { return config_; }
  PodStore& store() { return store_; }
  // The first call connects and starts watching (waiting for the pods when
  // wait_for_metadata); later ones return its outcome.
  Status Acquire();
  void Release();
  bool synced() const;

  std::vector<ComponentMetric> Metrics() const;

 private:
  Status StartWatching();
  void StopWatching();

  const Config config_;
  const KubeOptions options_;
  PodStore store_;
  std::mutex mu_;
  bool started_ = false;
  Status start_status_;
  int users_ = 0;
  std::vector<std::unique_ptr<k8s::Reflector>> reflectors_;
  k8s::Reflector* pods_ = nullptr;
  std::thread purger_;
  std::mutex purge_mu_;
  std::condition_variable purge_cv_;
  bool stopping_ = false;  // under purge_mu_
};

// otelcol's `k8sattributes` processor: finds the pod each resource came from
// (by the client's IP, or by resource attributes per pod_association) and
// adds that pod's metadata to the Resource, on the wire; nothing else in the
// request changes. A value the sender set is kept unless it is empty.
class K8sAttributesProcessor : public Processor {
 public:
  K8sAttributesProcessor(Signal signal, std::shared_ptr<Kube> kube, Consumer* next);

  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;
  Status Consume(const PayloadPtr& payload) override;

 private:
  bool Enrich(opentelemetry::proto::resource::v1::Resource& resource, const std::string& client_ip) const;

  const Signal signal_;
  std::shared_ptr<Kube> kube_;
  Consumer* next_;
  bool acquired_ = false;
};

}  // namespace otlpd::processors::k8sattributes
