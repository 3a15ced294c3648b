#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/decoder.h"
#include "config/retry/retry_config.h"
#include "k8s/api_config.h"
#include "processors/resourcedetection/detector.h"

namespace otlpd::processors::resourcedetection {

// `system:` (contrib internal/system): where host.name comes from, tried in
// order, and the attribute switches.
struct SystemConfig {
  std::vector<std::string> hostname_sources{"dns", "os"};
  AttributeSwitches resource_attributes{{"host.name", true},
                                        {"os.type", true},
                                        {"host.arch", false},
                                        {"host.id", false},
                                        {"host.ip", false},
                                        {"host.mac", false},
                                        {"host.interface", false},
                                        {"host.cpu.vendor.id", false},
                                        {"host.cpu.family", false},
                                        {"host.cpu.model.id", false},
                                        {"host.cpu.model.name", false},
                                        {"host.cpu.stepping", false},
                                        {"host.cpu.cache.l2.size", false},
                                        {"os.description", false},
                                        {"os.name", false},
                                        {"os.version", false},
                                        {"os.build.id", false}};
};

// `ec2:` (contrib internal/aws/ec2).
struct Ec2Config {
  std::vector<std::string> tags;  // regexes over tag keys; read from IMDS (tags_from_imds)
  bool tags_from_imds = false;
  int max_attempts = 3;  // IMDS requests per call, as the AWS SDK's retryer
  std::chrono::nanoseconds max_backoff = std::chrono::seconds(20);
  bool fail_on_missing_metadata = false;  // deprecated; the top-level key supersedes it
  AttributeSwitches resource_attributes{{"cloud.provider", true},
                                        {"cloud.platform", true},
                                        {"cloud.region", true},
                                        {"cloud.account.id", true},
                                        {"cloud.availability_zone", true},
                                        {"host.id", true},
                                        {"host.image.id", true},
                                        {"host.type", true},
                                        {"host.name", true}};
};

// `gcp:` (contrib internal/gcp).
struct GcpConfig {
  std::vector<std::string> labels;  // regexes over instance label keys
  bool fail_on_missing_metadata = false;
  AttributeSwitches resource_attributes{{"cloud.provider", true},
                                        {"cloud.platform", true},
                                        {"cloud.account.id", true},
                                        {"cloud.region", true},
                                        {"cloud.availability_zone", true},
                                        {"host.id", true},
                                        {"host.name", true},
                                        {"host.type", true},
                                        {"k8s.cluster.name", true},
                                        {"faas.name", true},
                                        {"faas.version", true},
                                        {"faas.instance", true},
                                        {"gcp.cloud_run.job.execution", true},
                                        {"gcp.cloud_run.job.task_index", true},
                                        {"gcp.gce.instance_group_manager.name", true},
                                        {"gcp.gce.instance_group_manager.zone", true},
                                        {"gcp.gce.instance_group_manager.region", true},
                                        {"gcp.gce.instance.name", false},
                                        {"gcp.gce.instance.hostname", false}};
};

// `azure:` (contrib internal/azure).
struct AzureConfig {
  std::vector<std::string> tags;  // regexes over tag names
  bool fail_on_missing_metadata = false;
  AttributeSwitches resource_attributes{{"cloud.provider", true},
                                        {"cloud.platform", true},
                                        {"cloud.region", true},
                                        {"cloud.account.id", true},
                                        {"cloud.availability_zone", false},
                                        {"host.id", true},
                                        {"host.name", true},
                                        {"azure.vm.name", true},
                                        {"azure.vm.size", true},
                                        {"azure.vm.scaleset.name", true},
                                        {"azure.resourcegroup.name", true}};
};

// `docker:` (contrib internal/docker).
struct DockerConfig {
  AttributeSwitches resource_attributes{
      {"host.name", true}, {"os.type", true}, {"container.name", false}, {"container.image.name", false}};
};

// `k8s_api:` / `k8snode:` (contrib internal/k8snode): the API config keys,
// node_from_env_var (K8S_NODE_NAME when empty) and the attribute switches.
struct K8sNodeConfig {
  k8s::ApiConfig api;
  std::string node_from_env_var;
  AttributeSwitches resource_attributes{
      {"k8s.node.name", true}, {"k8s.node.uid", true}, {"k8s.cluster.uid", true}};
};

// otelcol-contrib's `resourcedetection` processor options (v0.161.0).
struct Config {
  std::vector<std::string> detectors{"env"};
  bool override = true;
  std::chrono::nanoseconds timeout = std::chrono::seconds(5);  // bounds one detection; 0: none
  std::chrono::nanoseconds refresh_interval{0};                // 0: detect once at start
  bool fail_on_missing_metadata = false;
  config::RetryConfig retry = DefaultRetry();
  SystemConfig system;
  Ec2Config ec2;
  GcpConfig gcp;
  AzureConfig azure;
  K8sNodeConfig k8snode;
  DockerConfig docker;

  static config::RetryConfig DefaultRetry();
  // Decodes and validates; throws config::Error naming the key path.
  static Config Decode(config::MapDecoder& d);
};

// The detector names otlpd implements, in the order the README lists them.
const std::vector<std::string>& ImplementedDetectors();

}  // namespace otlpd::processors::resourcedetection
