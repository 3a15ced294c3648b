#pragma once

#include "k8s/api_config.h"
#include "processors/resourcedetection/config.h"
#include "processors/resourcedetection/detector.h"

namespace otlpd::processors::resourcedetection {

// `k8s_api` (alias `k8snode`): the node otlpd runs on, from the Kubernetes
// API. The node's name comes from the environment variable node_from_env_var
// names (K8S_NODE_NAME by default, set through the downward API); the node
// object (GET /api/v1/nodes/<name>) gives its uid, and the kube-system
// namespace's uid names the cluster (skipped with a warning when RBAC does not
// allow reading it, as contrib).
class K8sNodeDetector : public Detector {
 public:
  K8sNodeDetector(K8sNodeConfig config, k8s::InClusterPaths paths = {});
  Result<Detected> Detect(Clock::time_point deadline) override;

 private:
  const K8sNodeConfig config_;
  const k8s::InClusterPaths paths_;
};

}  // namespace otlpd::processors::resourcedetection
