#include "processors/k8sattributes/k8sattributes_processor.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "config/error.h"
#include "config/loader.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "processors/k8sattributes/factory.h"
#include "test/k8s/fake_api_server.h"
#include "test/support/config_error.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace otlpd::processors::k8sattributes;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using otlpd::test::FakeApiServer;
using otlpd::test::FakePod;
using otlpd::test::WaitFor;

namespace {

using Attrs = std::map<std::string, std::string>;

std::string Traces(const std::vector<Attrs>& resources) {
  ExportTraceServiceRequest req;
  for (const auto& attrs : resources) {
    auto* rs = req.add_resource_spans();
    for (const auto& [k, v] : attrs) {
      auto* kv = rs->mutable_resource()->add_attributes();
      kv->set_key(k);
      kv->mutable_value()->set_string_value(v);
    }
    auto* s = rs->add_scope_spans()->add_spans();
    s->set_trace_id(std::string(16, '\x07'));
    s->set_span_id(std::string(8, '\x01'));
    s->set_name("op");
  }
  return req.SerializeAsString();
}

// The string attributes of each resource of a traces request.
std::vector<Attrs> ResourcesOf(const PayloadPtr& p) {
  ExportTraceServiceRequest req;
  REQUIRE(req.ParseFromString(p->bytes));
  std::vector<Attrs> out;
  for (const auto& rs : req.resource_spans()) {
    Attrs a;
    for (const auto& kv : rs.resource().attributes()) {
      a[kv.key()] = kv.value().has_array_value()
                        ? "[" + kv.value().array_value().values(0).string_value() + "]"
                        : kv.value().string_value();
    }
    out.push_back(a);
  }
  return out;
}

Config Decode(const std::string& yaml) {
  config::Node node = config::ParseYaml(yaml, "k8s.yaml");
  config::MapDecoder d(node, "processors.k8sattributes");
  return Config::Decode(d);
}

std::string DecodeError(const std::string& yaml) {
  return test::ConfigError([&] { Decode(yaml); });
}

// A processor watching `server` through a kubeconfig.
struct Fixture {
  FakeApiServer server{"t0ken"};
  std::filesystem::path dir;
  test::Sink sink;
  std::shared_ptr<Kube> kube;
  std::unique_ptr<K8sAttributesProcessor> processor;

  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("k8sattr-" + std::to_string(::getpid()) + "-" +
                                                    std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(dir);
    server.WriteKubeConfig(dir.string());
  }
  ~Fixture() {
    if (processor) processor->Shutdown(Clock::now());
    std::filesystem::remove_all(dir);
  }
  void Start(const std::string& yaml, KubeOptions options = {}) {
    Config c = Decode("auth_type: kubeConfig\nkube_config_path: " + (dir / "kubeconfig").string() +
                      "\nwait_for_metadata: true\n" + yaml);
    options.reflector.backoff_initial = std::chrono::milliseconds(20);
    options.reflector.backoff_max = std::chrono::milliseconds(100);
    kube = std::make_shared<Kube>(std::move(c), options);
    processor = std::make_unique<K8sAttributesProcessor>(Signal::kTraces, kube, &sink);
    REQUIRE(processor->Start().ok());
  }
  std::vector<Attrs> Send(const std::vector<Attrs>& resources, const std::string& client = "") {
    const std::size_t before = sink.payloads().size();
    REQUIRE(
        processor->Consume(MakePayload(Signal::kTraces, Traces(resources), resources.size(), nullptr, client))
            .ok());
    REQUIRE(sink.payloads().size() == before + 1);
    return ResourcesOf(sink.payloads().back());
  }
};

FakePod ShopPod() {
  FakePod p;
  p.name = "cart-7d9f8b6c5d-x2k4q";
  p.ns = "shop";
  p.uid = "6f0b7c1e-0001";
  p.ip = "10.244.1.17";
  p.labels = {{"app", "cart"}, {"app.kubernetes.io/component", "api"}, {"team", "payments"}};
  p.annotations = {{"git-sha", "abc123"}, {"resource.opentelemetry.io/service.version", "1.4.2"}};
  p.owner_kind = "ReplicaSet";
  p.owner_name = "cart-7d9f8b6c5d";
  p.owner_uid = "rs-uid-1";
  return p;
}

}  // namespace

TEST_CASE("k8sattributes config: otelcol's defaults and refusals") {
  Config c = Decode("{}");
  CHECK(c.api.auth_type == k8s::AuthType::kServiceAccount);
  CHECK(c.extract.metadata.namespace_name);
  CHECK(c.extract.metadata.pod_name);
  CHECK(c.extract.metadata.pod_uid);
  CHECK(c.extract.metadata.pod_start_time);
  CHECK(c.extract.metadata.deployment_name);
  CHECK(c.extract.metadata.node_name);
  CHECK_FALSE(c.extract.metadata.container_id);
  CHECK(c.exclude_pods.size() == 2);
  CHECK(c.wait_for_metadata_timeout == std::chrono::seconds(10));

  CHECK(DecodeError("auth_type: magic").find("invalid authType for kubernetes: magic") != std::string::npos);
  CHECK(DecodeError("extract: {metadata: [k8s.pod.color]}")
            .find("\"k8s.pod.color\" is not a supported metadata field") != std::string::npos);
  CHECK(DecodeError("extract: {labels: [{key: a, key_regex: b}]}")
            .find("Out of Key or KeyRegex only one option is expected to be configured at a time, currently "
                  "Key:a and "
                  "KeyRegex:b") != std::string::npos);
  CHECK(DecodeError("extract: {labels: [{key: a, from: deployment}]}")
            .find("deployment is not a valid choice for From. Must be one of: pod, namespace, node") !=
        std::string::npos);
  CHECK(DecodeError("filter: {labels: [{key: a, op: in}]}")
            .find("'in' is not a valid label filter operation for key=a, value=") != std::string::npos);
  CHECK(DecodeError("filter: {fields: [{key: a, op: exists}]}")
            .find("'exists' is not a valid label filter operation") != std::string::npos);
  CHECK(
      DecodeError("pod_association: [{sources: [{from: connection}, {from: connection}, {from: connection}, "
                  "{from: connection}, {from: connection}]}]")
          .find("too many association sources. limit is 4") != std::string::npos);
  ::unsetenv("OTLPD_TEST_NO_SUCH_NODE");
  CHECK(DecodeError("filter: {node_from_env_var: OTLPD_TEST_NO_SUCH_NODE}")
            .find("`node_from_env_var` is configured but envvar \"OTLPD_TEST_NO_SUCH_NODE\" is not set") !=
        std::string::npos);
  CHECK(DecodeError("extract: {labels: [{key: a, regex: b}]}").find("regex") != std::string::npos);
  CHECK(DecodeError("bogus: 1").find("bogus") != std::string::npos);

  ::setenv("OTLPD_TEST_NODE", "node-7", 1);
  Config f = Decode(
      "filter: {node_from_env_var: OTLPD_TEST_NODE, labels: [{key: app, value: cart}, {key: canary, op: "
      "does-not-exist}], fields: [{key: metadata.name, value: x, op: not-equals}]}");
  CHECK(f.PodFieldSelector() == "metadata.name!=x,spec.nodeName=node-7");
  CHECK(f.PodLabelSelector() == "app=cart,!canary");
}

TEST_CASE("k8sattributes tags a pod's data by its connection IP, with owner, labels and annotations") {
  Fixture f;
  f.server.Upsert("/api/v1/namespaces", test::NamespaceJson("shop", "ns-uid-shop", {{"tier", "gold"}}));
  f.server.Upsert("/api/v1/nodes", test::NodeJson("node-1", "node-uid-1", {{"zone", "eu-1a"}}));
  f.server.Upsert("/apis/apps/v1/replicasets",
                  test::ReplicaSetJson("shop", "cart-7d9f8b6c5d", "rs-uid-1", "cart", "dep-uid-1"));
  f.server.Upsert("/api/v1/pods", ShopPod().Json());
  f.Start(R"(
extract:
  metadata: [k8s.namespace.name, k8s.pod.name, k8s.pod.uid, k8s.pod.start_time, k8s.deployment.name,
             k8s.deployment.uid, k8s.replicaset.name, k8s.node.name, k8s.node.uid, k8s.container.name,
             container.id, container.image.name, container.image.tag, container.image.repo_digests]
  otel_annotations: true
  labels:
    - {key: app}
    - {tag_name: component, key: app.kubernetes.io/component}
    - {tag_name: "label.$1", key_regex: "te(a)m"}
    - {key: tier, from: namespace}
    - {key: zone, from: node, tag_name: node.zone}
  annotations:
    - {key: git-sha}
)");
  std::vector<Attrs> out =
      f.Send({{{"service.name", "cart"}}, {{"k8s.pod.name", "set-by-app"}}}, "10.244.1.17");
  REQUIRE(out.size() == 2);
  const Attrs& a = out[0];
  CHECK(a.at("service.name") == "cart");
  CHECK(a.at("k8s.namespace.name") == "shop");
  CHECK(a.at("k8s.pod.name") == "cart-7d9f8b6c5d-x2k4q");
  CHECK(a.at("k8s.pod.uid") == "6f0b7c1e-0001");
  CHECK(a.at("k8s.pod.start_time") == "2024-05-01T10:00:00Z");
  CHECK(a.at("k8s.deployment.name") == "cart");
  CHECK(a.at("k8s.deployment.uid") == "dep-uid-1");
  CHECK(a.at("k8s.replicaset.name") == "cart-7d9f8b6c5d");
  CHECK(a.at("k8s.node.name") == "node-1");
  CHECK(a.at("k8s.node.uid") == "node-uid-1");
  CHECK(a.at("k8s.container.name") == "app");
  CHECK(a.at("container.id") == "c0ffee");
  CHECK(a.at("container.image.name") == "registry.example.com/shop/cart");
  CHECK(a.at("container.image.tag") == "1.4.2");
  CHECK(a.at("container.image.repo_digests") == "[registry.example.com/shop/cart@sha256:abc123]");
  CHECK(a.at("k8s.pod.labels.app") == "cart");
  CHECK(a.at("component") == "api");
  CHECK(a.at("label.a") == "payments");
  CHECK(a.at("k8s.pod.annotations.git-sha") == "abc123");
  CHECK(a.at("service.version") == "1.4.2");
  CHECK(a.at("k8s.namespace.labels.tier") == "gold");
  CHECK(a.at("node.zone") == "eu-1a");
  // A value the sender set is kept.
  CHECK(out[1].at("k8s.pod.name") == "set-by-app");
  CHECK(out[1].at("k8s.namespace.name") == "shop");

  // Unknown senders pass unchanged, as the same payload.
  const PayloadPtr in =
      MakePayload(Signal::kTraces, Traces({{{"service.name", "x"}}}), 1, nullptr, "10.9.9.9");
  REQUIRE(f.processor->Consume(in).ok());
  CHECK(f.sink.payloads().back() == in);
  CHECK(f.kube->store().lookup_misses() >= 1);
}

TEST_CASE("k8sattributes follows pod churn: new pods, a reused IP, deletion after the grace period") {
  Fixture f;
  KubeOptions o;
  o.delete_grace = std::chrono::milliseconds(200);
  o.purge_interval = std::chrono::milliseconds(20);
  FakePod a = ShopPod();
  a.owner_kind.clear();
  f.server.Upsert("/api/v1/pods", a.Json());
  f.Start("extract: {metadata: [k8s.pod.name, k8s.namespace.name]}\n", o);
  CHECK(f.Send({{}}, "10.244.1.17")[0].at("k8s.pod.name") == "cart-7d9f8b6c5d-x2k4q");

  // A pod added during traffic is found as soon as its event arrives.
  FakePod b;
  b.name = "search-0";
  b.uid = "uid-b";
  b.ip = "10.244.1.30";
  f.server.Upsert("/api/v1/pods", b.Json());
  REQUIRE(WaitFor([&] { return f.Send({{}}, "10.244.1.30")[0].count("k8s.pod.name") == 1; }));

  // Deleted: still found during the grace period (late data), gone after it.
  f.server.Delete("/api/v1/pods", "shop", a.name);
  REQUIRE(WaitFor([&] { return f.kube->store().pods_deleted() == 1; }));
  REQUIRE(WaitFor([&] { return f.Send({{}}, "10.244.1.17")[0].count("k8s.pod.name") == 0; }));

  // The IP goes to a new pod that started later.
  FakePod c = b;
  c.name = "search-1";
  c.uid = "uid-c";
  c.ip = "10.244.1.17";
  c.start_time = "2024-05-01T11:00:00Z";
  f.server.Upsert("/api/v1/pods", c.Json());
  REQUIRE(WaitFor([&] { return f.Send({{}}, "10.244.1.17")[0].count("k8s.pod.name") == 1; }));
  CHECK(f.Send({{}}, "10.244.1.17")[0].at("k8s.pod.name") == "search-1");
  CHECK(f.Send({{}}, "10.244.1.17")[0].at("k8s.namespace.name") == "default");

  // A cut watch loses nothing: the reflector comes back.
  f.server.BreakWatches();
  FakePod d = b;
  d.name = "search-2";
  d.uid = "uid-d";
  d.ip = "10.244.1.40";
  f.server.Upsert("/api/v1/pods", d.Json());
  REQUIRE(WaitFor([&] { return f.Send({{}}, "10.244.1.40")[0].count("k8s.pod.name") == 1; }));
}

TEST_CASE("k8sattributes pod_association by resource attributes, and passthrough") {
  Fixture f;
  FakePod p = ShopPod();
  f.server.Upsert("/api/v1/pods", p.Json());
  // container.id identifies a pod only when container metadata is extracted (as in otelcol).
  f.Start(R"(
extract: {metadata: [k8s.pod.name, container.id]}
pod_association:
  - sources: [{from: resource_attribute, name: k8s.pod.uid}]
  - sources: [{from: resource_attribute, name: k8s.pod.name}, {from: resource_attribute, name: k8s.namespace.name}]
  - sources: [{from: resource_attribute, name: container.id}]
)");
  CHECK(f.Send({{{"k8s.pod.uid", "6f0b7c1e-0001"}}})[0].at("k8s.pod.name") == p.name);
  Attrs by_name = f.Send({{{"k8s.pod.name", p.name}, {"k8s.namespace.name", "shop"}}})[0];
  CHECK(by_name.at("k8s.pod.name") == p.name);
  CHECK(f.Send({{{"container.id", "c0ffee"}}})[0].at("k8s.pod.name") == p.name);
  // The connection is not among the rules: the client IP alone finds nothing.
  CHECK(f.Send({{}}, "10.244.1.17")[0].count("k8s.pod.name") == 0);
  // The wrong namespace does not match the name rule.
  CHECK(f.Send({{{"k8s.pod.name", p.name}, {"k8s.namespace.name", "other"}}})[0].count("k8s.pod.uid") == 0);

  // passthrough: no API access, only k8s.pod.ip from the connection.
  test::Sink sink;
  auto kube = std::make_shared<Kube>(Decode("passthrough: true"), KubeOptions{});
  K8sAttributesProcessor pass(Signal::kTraces, kube, &sink);
  REQUIRE(pass.Start().ok());
  REQUIRE(pass.Consume(MakePayload(Signal::kTraces, Traces({{}}), 1, nullptr, "10.1.2.3")).ok());
  CHECK(ResourcesOf(sink.payloads().back())[0].at("k8s.pod.ip") == "10.1.2.3");
  pass.Shutdown(Clock::now());

  // A rule whose connection source is not the first still gives k8s.pod.ip.
  test::Sink sink2;
  auto kube2 = std::make_shared<Kube>(
      Decode("passthrough: true\npod_association:\n  - sources: [{from: resource_attribute, name: "
             "service.name}, {from: connection}]\n"),
      KubeOptions{});
  K8sAttributesProcessor pass2(Signal::kTraces, kube2, &sink2);
  REQUIRE(pass2.Start().ok());
  REQUIRE(
      pass2.Consume(MakePayload(Signal::kTraces, Traces({{{"service.name", "a"}}}), 1, nullptr, "10.1.2.4"))
          .ok());
  CHECK(ResourcesOf(sink2.payloads().back())[0].at("k8s.pod.ip") == "10.1.2.4");
  pass2.Shutdown(Clock::now());
}

TEST_CASE("k8sattributes metrics and logs, and a failing start") {
  Fixture f;
  f.server.Upsert("/api/v1/pods", ShopPod().Json());
  f.Start("extract: {metadata: [k8s.pod.name]}\n");
  for (Signal s : {Signal::kMetrics, Signal::kLogs}) {
    test::Sink sink;
    K8sAttributesProcessor p(s, f.kube, &sink);
    REQUIRE(p.Start().ok());
    std::string bytes;
    if (s == Signal::kMetrics) {
      ExportMetricsServiceRequest req;
      req.add_resource_metrics()->add_scope_metrics()->add_metrics()->set_name("m");
      bytes = req.SerializeAsString();
    } else {
      ExportLogsServiceRequest req;
      req.add_resource_logs()->add_scope_logs()->add_log_records();
      bytes = req.SerializeAsString();
    }
    REQUIRE(p.Consume(MakePayload(s, bytes, 1, nullptr, "10.244.1.17")).ok());
    const std::string out = sink.payloads().back()->bytes;
    CHECK(out.find("cart-7d9f8b6c5d-x2k4q") != std::string::npos);
    p.Shutdown(Clock::now());
  }

  // wait_for_metadata against a server that refuses us: Start fails.
  KubeOptions o;
  o.reflector.backoff_initial = std::chrono::milliseconds(10);
  const std::string kubeconfig = (f.dir / "bad-kubeconfig").string();
  {
    std::ofstream out(kubeconfig);
    out << "apiVersion: v1\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: "
           "http://127.0.0.1:"
        << f.server.port()
        << "\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nusers:\n- name: u\n  user: "
        << "{token: wrong}\n";
  }
  auto kube = std::make_shared<Kube>(Decode("auth_type: kubeConfig\nkube_config_path: " + kubeconfig +
                                            "\nwait_for_metadata: true\nwait_for_metadata_timeout: 300ms\n"),
                                     o);
  test::Sink sink;
  K8sAttributesProcessor p(Signal::kTraces, kube, &sink);
  Status s = p.Start();
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("failed to wait for caches to sync") != std::string::npos);
}
