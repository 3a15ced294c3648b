// The stand-in Kubernetes API server as a process, for test/bench/run's
// k8sattributes scenario: serves `--pods N` pods of one node (the first with
// IP 127.0.0.1, where the load generator sends from; the others on
// 10.x addresses), their ReplicaSet and namespace, writes a kubeconfig into
// `--dir`, prints "kubeconfig <path>" and serves until stdin closes.
#include <cstdlib>
#include <iostream>
#include <string>

#include "test/k8s/fake_api_server.h"

int main(int argc, char** argv) {
  int pods = 1000;
  std::string dir = ".";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--pods") pods = std::atoi(argv[i + 1]);
    if (a == "--dir") dir = argv[i + 1];
  }
  otlpd::test::FakeApiServer server;
  server.Upsert("/api/v1/namespaces",
                otlpd::test::NamespaceJson("shop", "ns-uid-shop", {{"team", "payments"}}));
  server.Upsert("/apis/apps/v1/replicasets",
                otlpd::test::ReplicaSetJson("shop", "cart-7d9f8b6c5d", "rs-1", "cart", "dep-1"));
  for (int i = 0; i < pods; ++i) {
    otlpd::test::FakePod p;
    p.name = "cart-7d9f8b6c5d-" + std::to_string(i);
    p.ns = "shop";
    p.uid = "pod-uid-" + std::to_string(i);
    p.ip = i == 0 ? "127.0.0.1" : "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    p.labels = {{"app.kubernetes.io/name", "cart"}, {"pod-template-hash", "7d9f8b6c5d"}};
    p.owner_kind = "ReplicaSet";
    p.owner_name = "cart-7d9f8b6c5d";
    p.owner_uid = "rs-1";
    server.Upsert("/api/v1/pods", p.Json());
  }
  std::cout << "kubeconfig " << server.WriteKubeConfig(dir) << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}
