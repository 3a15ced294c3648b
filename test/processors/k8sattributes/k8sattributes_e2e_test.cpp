// The real otlpd binary with k8sattributes between its OTLP receivers and file
// exporters, watching the stand-in API server through a kubeconfig: spans,
// metrics and logs sent from 127.0.0.1 (the "pod"'s IP) over gRPC and HTTP
// come out with that pod's namespace, name, uid, Deployment, node, labels and
// annotations, and a label changed on the pod shows up in later data.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>

#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "test/k8s/fake_api_server.h"
#include "test/support/process.h"
#include "test/support/proto_file.h"
#include "test/support/sink.h"

using namespace otlpd::test;
namespace tracepb = opentelemetry::proto::collector::trace::v1;
namespace metricspb = opentelemetry::proto::collector::metrics::v1;
namespace logspb = opentelemetry::proto::collector::logs::v1;
using Attrs = std::map<std::string, std::string>;

namespace {

// One HTTP/1.1 POST; the status code.
int Post(int port, const std::string& path, const std::string& body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return 0;
  }
  const std::string req =
      "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n" +
      "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  char buf[512];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ::close(fd);
  if (n < 12) return 0;
  return std::stoi(std::string(buf + 9, 3));
}

template <class Resource>
Attrs AttrsOf(const Resource& r) {
  Attrs m;
  for (const auto& a : r.attributes()) m[a.key()] = a.value().string_value();
  return m;
}

tracepb::ExportTraceServiceRequest Spans(const std::string& marker) {
  tracepb::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("cart");
  auto* s = rs->add_scope_spans()->add_spans();
  s->set_name(marker);
  s->set_trace_id(std::string(16, '\x01'));
  s->set_span_id(std::string(8, '\x02'));
  return req;
}

void CheckPod(const Attrs& m) {
  CHECK(m.at("service.name") == "cart");
  CHECK(m.at("k8s.namespace.name") == "shop");
  CHECK(m.at("k8s.pod.name") == "cart-7d9f8b6c5d-x2k4q");
  CHECK(m.at("k8s.pod.uid") == "pod-uid-1");
  CHECK(m.at("k8s.pod.start_time") == "2024-05-01T10:00:00Z");
  CHECK(m.at("k8s.deployment.name") == "cart");
  CHECK(m.at("k8s.node.name") == "node-1");
  CHECK(m.at("app") == "cart");
  CHECK(m.at("k8s.pod.annotations.git-sha") == "abc123");
}

}  // namespace

TEST_CASE("otlpd tags spans, metrics and logs from a pod's IP with that pod's metadata") {
  TempDir dir;
  FakeApiServer api("e2e-token");
  api.Upsert("/apis/apps/v1/replicasets", ReplicaSetJson("shop", "cart-7d9f8b6c5d", "rs-1", "cart", "dep-1"));
  FakePod pod;
  pod.name = "cart-7d9f8b6c5d-x2k4q";
  pod.ns = "shop";
  pod.uid = "pod-uid-1";
  pod.ip = "127.0.0.1";  // where the test sends from
  pod.labels = {{"app.kubernetes.io/name", "cart"}};
  pod.annotations = {{"git-sha", "abc123"}};
  pod.owner_kind = "ReplicaSet";
  pod.owner_name = "cart-7d9f8b6c5d";
  pod.owner_uid = "rs-1";
  api.Upsert("/api/v1/pods", pod.Json());
  FakePod elsewhere = pod;  // another node's pod: not watched
  elsewhere.name = "other";
  elsewhere.uid = "pod-uid-2";
  elsewhere.node = "node-2";
  elsewhere.ip = "10.0.0.2";
  api.Upsert("/api/v1/pods", elsewhere.Json());

  const std::string kubeconfig = api.WriteKubeConfig(dir.path().string());
  const auto traces = dir / "traces.pb", metrics = dir / "metrics.pb", logs = dir / "logs.pb";
  auto file = [](const std::filesystem::path& p) {
    return "    path: " + p.string() + "\n    format: proto\n    flush_interval: 20ms\n";
  };
  WriteFile(dir / "c.yaml",
            "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0\n"
            "      http:\n        endpoint: 127.0.0.1:0\n"
            "processors:\n  k8sattributes:\n    auth_type: kubeConfig\n    kube_config_path: " +
                kubeconfig +
                "\n    wait_for_metadata: true\n    filter:\n      node_from_env_var: K8S_NODE_NAME\n"
                "    extract:\n      labels:\n        - {tag_name: app, key: app.kubernetes.io/name}\n"
                "      annotations:\n        - {key: git-sha}\n"
                "    pod_association:\n      - sources: [{from: resource_attribute, name: k8s.pod.ip}]\n"
                "      - sources: [{from: connection}]\n"
                "exporters:\n  file/traces:\n" +
                file(traces) + "  file/metrics:\n" + file(metrics) + "  file/logs:\n" + file(logs) +
                "service:\n  pipelines:\n"
                "    traces:\n      receivers: [otlp]\n      processors: [k8sattributes]\n      exporters: "
                "[file/traces]\n"
                "    metrics:\n      receivers: [otlp]\n      processors: [k8sattributes]\n      exporters: "
                "[file/metrics]\n"
                "    logs:\n      receivers: [otlp]\n      processors: [k8sattributes]\n      exporters: "
                "[file/logs]\n");
  setenv("K8S_NODE_NAME", "node-1", 1);
  Process otlpd({OTLPD_BINARY, "--config", (dir / "c.yaml").string()}, dir / "otlpd.log");
  unsetenv("K8S_NODE_NAME");
  const int grpc_port = LoggedPort(otlpd, "OTLP/gRPC listening on");
  const int http_port = LoggedPort(otlpd, "OTLP/HTTP listening on");
  INFO(otlpd.Output());
  REQUIRE(grpc_port != 0);
  REQUIRE(http_port != 0);
  // Only this node's pods were asked for.
  bool node_filter = false;
  for (const std::string& r : api.requests())
    node_filter |= r.starts_with("/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1");
  CHECK(node_filter);

  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port), grpc::InsecureChannelCredentials());
  {
    grpc::ClientContext ctx;
    tracepb::ExportTraceServiceResponse resp;
    REQUIRE(tracepb::TraceService::NewStub(channel)->Export(&ctx, Spans("first"), &resp).ok());
  }
  {
    logspb::ExportLogsServiceRequest req;
    auto* rl = req.add_resource_logs();
    auto* kv = rl->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value("cart");
    rl->add_scope_logs()->add_log_records()->mutable_body()->set_string_value("hello");
    grpc::ClientContext ctx;
    logspb::ExportLogsServiceResponse resp;
    REQUIRE(logspb::LogsService::NewStub(channel)->Export(&ctx, req, &resp).ok());
  }
  {
    metricspb::ExportMetricsServiceRequest req;
    auto* rm = req.add_resource_metrics();
    auto* kv = rm->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value("cart");
    auto* g = rm->add_scope_metrics()->add_metrics();
    g->set_name("queue.depth");
    g->mutable_gauge()->add_data_points()->set_as_int(3);
    REQUIRE(Post(http_port, "/v1/metrics", req.SerializeAsString()) == 200);
  }

  // A label changed on the pod reaches data sent after the change.
  FakePod relabeled = pod;
  relabeled.labels["app.kubernetes.io/name"] = "cart-v2";
  api.Upsert("/api/v1/pods", relabeled.Json());
  const auto changed_at = std::chrono::steady_clock::now();
  int sends = 0;
  const bool seen = WaitFor(
      [&] {
        grpc::ClientContext ctx;
        tracepb::ExportTraceServiceResponse resp;
        tracepb::TraceService::NewStub(channel)->Export(&ctx, Spans("after-" + std::to_string(++sends)),
                                                        &resp);
        for (const auto& r : ParseProtoRecords<tracepb::ExportTraceServiceRequest>(ReadProtoRecords(traces)))
          if (AttrsOf(r.resource_spans(0).resource())["app"] == "cart-v2") return true;
        return false;
      },
      std::chrono::seconds(20));
  REQUIRE(seen);
  WARN("pod label change seen in exported spans after "
       << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - changed_at)
              .count()
       << " ms (" << sends << " requests)");

  otlpd.Signal(SIGTERM);
  REQUIRE(otlpd.Wait(std::chrono::seconds(30)) == 0);

  const auto t = ParseProtoRecords<tracepb::ExportTraceServiceRequest>(ReadProtoRecords(traces));
  REQUIRE_FALSE(t.empty());
  REQUIRE(t[0].resource_spans(0).scope_spans(0).spans(0).name() == "first");
  CheckPod(AttrsOf(t[0].resource_spans(0).resource()));
  const auto m = ParseProtoRecords<metricspb::ExportMetricsServiceRequest>(ReadProtoRecords(metrics));
  REQUIRE(m.size() == 1);
  CheckPod(AttrsOf(m[0].resource_metrics(0).resource()));
  const auto l = ParseProtoRecords<logspb::ExportLogsServiceRequest>(ReadProtoRecords(logs));
  REQUIRE(l.size() == 1);
  CheckPod(AttrsOf(l[0].resource_logs(0).resource()));
}
