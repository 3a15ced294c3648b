#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "exporters/loadbalancing/resolver.h"
#include "k8s/reflector.h"

namespace otlpd::exporters::loadbalancing {

// `resolver.k8s`: the ready endpoints of a Service, from a watch of its
// EndpointSlices (discovery.k8s.io/v1, labelSelector
// kubernetes.io/service-name=<name>) in `namespace` (from `service:
// name.namespace`, else the pod's own namespace, else "default"). Backends
// are each address (or with return_hostnames each endpoint's
// <hostname>.<service>.<namespace>), joined with every configured port,
// sorted. The API server is found as client-go's default config does:
// $KUBECONFIG, else in-cluster, else ~/.kube/config. Start waits for the
// first list for at most `timeout`.
class K8sResolver : public Resolver, private k8s::ObjectSink {
 public:
  struct Options {
    k8s::InClusterPaths in_cluster;
    std::string namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
    k8s::ReflectorOptions reflector;
  };
  K8sResolver(K8sResolverConfig config, LbTelemetry* telemetry, Options options);
  K8sResolver(K8sResolverConfig config, LbTelemetry* telemetry)
      : K8sResolver(std::move(config), telemetry, Options{}) {}
  ~K8sResolver() override;
  Status Start(OnChange on_change) override;
  void Shutdown() override;

  const std::string& service_name() const { return name_; }
  const std::string& service_namespace() const { return namespace_; }

 private:
  // ObjectSink, on the reflector's thread.
  void BeginList() override;
  void Listed(simdjson::dom::element slice) override;
  void EndList() override;
  void Upsert(simdjson::dom::element slice) override;
  void Delete(simdjson::dom::element slice) override;

  std::set<std::string> Addresses(simdjson::dom::element slice, bool* ok) const;
  // Keeps an EndpointSlice's addresses by its name: in the list in progress
  // (`listing`), else in the current set, announcing the change. A slice
  // without a name is passed over; one with an address that has no hostname
  // is counted as a failed resolution and logged.
  void Store(simdjson::dom::element slice, bool listing);
  void Announce();  // under mu_

  const K8sResolverConfig config_;
  LbTelemetry* const telemetry_;
  const Options options_;
  std::string name_, namespace_;
  OnChange on_change_;
  std::mutex mu_;
  std::map<std::string, std::set<std::string>> slices_;  // slice name -> addresses
  std::map<std::string, std::set<std::string>> listing_;
  AnnouncedBackends backends_;
  std::unique_ptr<k8s::Reflector> reflector_;
};

}  // namespace otlpd::exporters::loadbalancing
