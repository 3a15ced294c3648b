#include "processors/resourcedetection/k8snode_detector.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "config/loader.h"
#include "test/k8s/fake_api_server.h"

using namespace otlpd;
using namespace otlpd::processors::resourcedetection;
using otlpd::test::FakeApiServer;

namespace {

std::string Str(const Detected& d, std::string_view key) {
  const AnyValue* v = d.Find(key);
  return v == nullptr ? "<none>" : v->string_value();
}

Config DecodeConfig(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "rd.yaml");
  config::MapDecoder d(node, "processors.resourcedetection");
  return Config::Decode(d);
}

}  // namespace

TEST_CASE("k8s_api detector: node name and uid, cluster uid from kube-system") {
  const auto dir = std::filesystem::temp_directory_path() / ("k8snode-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  FakeApiServer server("tok");
  server.Upsert("/api/v1/nodes", test::NodeJson("worker-3", "node-uid-3"));
  server.Upsert("/api/v1/namespaces", test::NamespaceJson("kube-system", "cluster-uid-9"));
  const std::string kubeconfig = server.WriteKubeConfig(dir.string());

  Config c = DecodeConfig("detectors: [k8s_api]\nk8s_api:\n  auth_type: kubeConfig\n  kube_config_path: " +
                          kubeconfig + "\n  node_from_env_var: OTLPD_TEST_NODE_NAME\n");
  ::setenv("OTLPD_TEST_NODE_NAME", "worker-3", 1);
  K8sNodeDetector d(c.k8snode);
  Result<Detected> r = d.Detect(Clock::now() + std::chrono::seconds(10));
  REQUIRE(r.ok());
  CHECK(Str(*r, "k8s.node.name") == "worker-3");
  CHECK(Str(*r, "k8s.node.uid") == "node-uid-3");
  CHECK(Str(*r, "k8s.cluster.uid") == "cluster-uid-9");
  CHECK(server.count_requests("/api/v1/nodes/worker-3") == 1);

  // An unknown node is an error with the API's message.
  ::setenv("OTLPD_TEST_NODE_NAME", "ghost", 1);
  Result<Detected> missing = d.Detect(Clock::now() + std::chrono::seconds(10));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("failed getting k8s node UID") != std::string::npos);

  // The alias `k8snode`, with switches; and no env var set.
  Config alias = DecodeConfig(
      "detectors: [k8snode]\nk8snode:\n  auth_type: kubeConfig\n  kube_config_path: " + kubeconfig +
      "\n  resource_attributes:\n    k8s.cluster.uid: {enabled: false}\n");
  ::setenv("K8S_NODE_NAME", "worker-3", 1);
  Result<Detected> a = K8sNodeDetector(alias.k8snode).Detect(Clock::now() + std::chrono::seconds(10));
  REQUIRE(a.ok());
  CHECK(Str(*a, "k8s.cluster.uid") == "<none>");
  CHECK(Str(*a, "k8s.node.uid") == "node-uid-3");
  ::unsetenv("K8S_NODE_NAME");
  Result<Detected> no_env = K8sNodeDetector(alias.k8snode).Detect(Clock::now() + std::chrono::seconds(10));
  REQUIRE_FALSE(no_env.ok());
  CHECK(no_env.status().message() ==
        "node name can't be found. Check the readme on how to set the required env variable");
  ::unsetenv("OTLPD_TEST_NODE_NAME");
  std::filesystem::remove_all(dir);
}
