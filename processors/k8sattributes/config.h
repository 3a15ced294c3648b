#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <re2/re2.h>

#include "config/decoder.h"
#include "k8s/api_config.h"

namespace otlpd::processors::k8sattributes {

// Which Kubernetes object a label or annotation rule reads.
enum class From { kPod, kNamespace, kNode };

// extract.labels / extract.annotations items, resolved as otelcol's options
// do: the default tag name is k8s.<from>.<labels|annotations>.<key>.
struct FieldRule {
  std::string tag_name;  // for key_regex with groups: a Go regexp template ($1, ${name})
  std::string key;
  std::shared_ptr<const re2::RE2> key_regex;  // anchored ^(?:re)$
  bool has_reference = false;                 // key_regex has capture groups: tag_name is a template
  From from = From::kPod;
};

// extract.metadata as flags.
struct Metadata {
  bool namespace_name = false, pod_name = false, pod_uid = false, pod_start_time = false, pod_ip = false,
       pod_hostname = false;
  bool deployment_name = false, deployment_uid = false, replicaset_name = false, replicaset_uid = false;
  bool daemonset_name = false, daemonset_uid = false, statefulset_name = false, statefulset_uid = false;
  bool job_name = false, job_uid = false, cronjob_name = false;
  bool node_name = false, node_uid = false, cluster_uid = false;
  bool container_name = false, container_id = false, container_image_name = false,
       container_image_tag = false, container_image_repo_digests = false;

  bool NeedsContainers() const {
    return container_name || container_id || container_image_name || container_image_tag ||
           container_image_repo_digests;
  }
  bool NeedsOwners() const {
    return deployment_name || deployment_uid || replicaset_name || replicaset_uid || daemonset_name ||
           daemonset_uid || statefulset_name || statefulset_uid || job_name || job_uid || cronjob_name;
  }
};

struct ExtractConfig {
  Metadata metadata;
  std::vector<FieldRule> labels;
  std::vector<FieldRule> annotations;
  bool otel_annotations = false;  // resource.opentelemetry.io/<x> pod annotations as <x>
  bool deployment_name_from_replicaset =
      false;  // cut the hash off the ReplicaSet's name; no ReplicaSet watch
};

struct FieldFilter {
  std::string key, value;
  std::string op = "equals";  // equals, not-equals (+ exists, does-not-exist for labels)
};

struct FilterConfig {
  std::string node;  // resolved from node_from_env_var when that is set
  std::string node_from_env_var;
  std::string namespace_;
  std::vector<FieldFilter> fields;
  std::vector<FieldFilter> labels;
};

struct AssociationSource {
  std::string from;  // "connection" or "resource_attribute"
  std::string name;  // the resource attribute; "" for connection
};
using Association = std::vector<AssociationSource>;  // all must match

inline constexpr std::size_t kMaxAssociationSources = 4;

struct Config {
  k8s::ApiConfig api;
  bool passthrough = false;
  ExtractConfig extract;
  FilterConfig filter;
  std::vector<Association>
      associations;  // empty: otelcol's built-in order (pod ip, ip, connection, host.name)
  std::vector<std::shared_ptr<const re2::RE2>> exclude_pods;  // unanchored, as otelcol's regexp.MatchString
  bool wait_for_metadata = false;
  std::chrono::nanoseconds wait_for_metadata_timeout = std::chrono::seconds(10);

  // Decodes and validates with otelcol's rules and messages; throws config::Error.
  static Config Decode(config::MapDecoder& d);

  // The label and field selectors the pod watch sends.
  std::string PodLabelSelector() const;
  std::string PodFieldSelector() const;
};

}  // namespace otlpd::processors::k8sattributes
