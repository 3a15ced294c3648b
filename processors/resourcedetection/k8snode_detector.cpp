#include "processors/resourcedetection/k8snode_detector.h"

#include <cstdlib>

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "k8s/client.h"
#include "k8s/reflector.h"

namespace otlpd::processors::resourcedetection {
namespace {

constexpr std::size_t kMaxObject = 4 << 20;

std::chrono::milliseconds Until(Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) return std::chrono::seconds(30);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::max(left, std::chrono::milliseconds(1));
}

// The uid of the object at `path`; the API's Status message on failure.
Result<std::string> Uid(k8s::Client& client, const std::string& path, Clock::time_point deadline,
                        int* status) {
  Result<k8s::Response> r = client.Get(path, Until(deadline), kMaxObject);
  if (!r.ok()) return r.status();
  *status = r->status;
  if (r->status != 200) return Status::Unavailable(k8s::StatusMessage(r->body));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view uid;
  if (parser.parse(r->body).get(doc) || doc["metadata"]["uid"].get(uid))
    return Status::Unavailable("no metadata.uid in the answer for " + path);
  return std::string(uid);
}

}  // namespace

K8sNodeDetector::K8sNodeDetector(K8sNodeConfig config, k8s::InClusterPaths paths)
    : config_(std::move(config)), paths_(std::move(paths)) {}

Result<Detected> K8sNodeDetector::Detect(Clock::time_point deadline) {
  const std::string var = config_.node_from_env_var.empty() ? "K8S_NODE_NAME" : config_.node_from_env_var;
  const char* node = std::getenv(var.c_str());
  if (node == nullptr || *node == '\0')
    return Status::InvalidArgument(
        "node name can't be found. Check the readme on how to set the required env variable");
  Result<k8s::Endpoint> endpoint = k8s::Resolve(config_.api, paths_);
  if (!endpoint.ok())
    return Status::InvalidArgument("failed creating k8snode detector: " + endpoint.status().message());
  k8s::Client client(*endpoint);
  Detected out;
  const AttributeSwitches& ra = config_.resource_attributes;
  if (ra.enabled("k8s.node.uid")) {
    int status = 0;
    Result<std::string> uid = Uid(client, "/api/v1/nodes/" + k8s::QueryEscape(node), deadline, &status);
    if (!uid.ok()) return Status::Unavailable("failed getting k8s node UID: " + uid.status().message());
    out.Put("k8s.node.uid", *uid);
  }
  if (ra.enabled("k8s.node.name")) out.Put("k8s.node.name", node);
  if (ra.enabled("k8s.cluster.uid")) {
    int status = 0;
    Result<std::string> uid = Uid(client, "/api/v1/namespaces/kube-system", deadline, &status);
    if (uid.ok()) {
      out.Put("k8s.cluster.uid", *uid);
    } else if (status == 401 || status == 403) {
      spdlog::warn(
          "resourcedetection k8s_api: cannot read namespace kube-system for k8s.cluster.uid ({}); "
          "skipping it",
          uid.status().message());
    } else {
      return Status::Unavailable("failed getting k8s cluster UID: " + uid.status().message());
    }
  }
  return out;
}

}  // namespace otlpd::processors::resourcedetection
