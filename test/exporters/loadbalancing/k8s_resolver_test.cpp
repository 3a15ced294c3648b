#include "exporters/loadbalancing/k8s_resolver.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "test/k8s/fake_api_server.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace otlpd::exporters::loadbalancing;
using otlpd::test::FakeApiServer;
using otlpd::test::WaitFor;

namespace {

// An EndpointSlice of Service `service` with (address, ready, hostname) endpoints.
std::string Slice(const std::string& ns, const std::string& name, const std::string& service,
                  const std::vector<std::tuple<std::string, bool, std::string>>& endpoints) {
  std::string eps;
  for (const auto& [addr, ready, host] : endpoints) {
    if (!eps.empty()) eps += ',';
    eps += R"({"addresses":[")" + addr + R"("],"conditions":{"ready":)" + (ready ? "true" : "false") + "}" +
           (host.empty() ? "" : R"(,"hostname":")" + host + "\"") + "}";
  }
  return R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":")" + name +
         R"(","namespace":")" + ns +
         R"(","resourceVersion":"%RV%","labels":{"kubernetes.io/service-name":")" + service +
         R"("}},"addressType":"IPv4","endpoints":[)" + eps + R"(],"ports":[{"name":"otlp","port":4317}]})";
}

struct Backends {
  std::mutex mu;
  std::vector<std::string> last;
  int calls = 0;
  Resolver::OnChange Callback() {
    return [this](const std::vector<std::string>& b) {
      std::lock_guard<std::mutex> lock(mu);
      last = b;
      ++calls;
    };
  }
  std::vector<std::string> Get() {
    std::lock_guard<std::mutex> lock(mu);
    return last;
  }
};

constexpr char kSlices[] = "/apis/discovery.k8s.io/v1/endpointslices";

}  // namespace

TEST_CASE("k8s resolver follows a Service's ready endpoints across EndpointSlices") {
  const auto dir = std::filesystem::temp_directory_path() / ("lb-k8s-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  FakeApiServer api("tok");
  ::setenv("KUBECONFIG", api.WriteKubeConfig(dir.string()).c_str(), 1);
  api.Upsert(kSlices, Slice("observability", "gw-abc", "gw",
                            {{"10.0.0.2", true, ""}, {"10.0.0.1", true, ""}, {"10.0.0.9", false, ""}}));
  api.Upsert(kSlices, Slice("observability", "other-x", "other", {{"10.9.9.9", true, ""}}));
  api.Upsert(kSlices, Slice("default", "gw-y", "gw", {{"10.8.8.8", true, ""}}));

  LbTelemetry telemetry;
  K8sResolverConfig c;
  c.service = "gw.observability";
  c.ports = {4317, 55690};
  K8sResolver::Options o;
  o.reflector.backoff_initial = std::chrono::milliseconds(20);
  K8sResolver r(c, &telemetry, o);
  Backends b;
  REQUIRE(r.Start(b.Callback()).ok());
  // The first list is announced before Start returns.
  CHECK(b.Get() ==
        std::vector<std::string>{"10.0.0.1:4317", "10.0.0.1:55690", "10.0.0.2:4317", "10.0.0.2:55690"});
  bool selector = false;
  for (const std::string& q : api.requests())
    selector |= q.starts_with(
        "/apis/discovery.k8s.io/v1/namespaces/observability/"
        "endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dgw");
  CHECK(selector);

  // A second slice, a pod turning ready, one going away.
  api.Upsert(kSlices, Slice("observability", "gw-def", "gw", {{"10.0.0.3", true, ""}}));
  api.Upsert(kSlices,
             Slice("observability", "gw-abc", "gw", {{"10.0.0.1", true, ""}, {"10.0.0.9", true, ""}}));
  REQUIRE(WaitFor([&] {
    return b.Get() == std::vector<std::string>{"10.0.0.1:4317",  "10.0.0.1:55690", "10.0.0.3:4317",
                                               "10.0.0.3:55690", "10.0.0.9:4317",  "10.0.0.9:55690"};
  }));
  api.Delete(kSlices, "observability", "gw-def");
  REQUIRE(WaitFor([&] { return b.Get().size() == 4; }));
  CHECK(telemetry.num_backends.load() == 4);
  r.Shutdown();

  // return_hostnames and no ports: <hostname>.<service>.<namespace>.
  api.Upsert(kSlices, Slice("observability", "gw-sts", "gw-sts",
                            {{"10.0.1.1", true, "gw-0"}, {"10.0.1.2", true, "gw-1"}}));
  K8sResolverConfig h;
  h.service = "gw-sts.observability";
  h.return_hostnames = true;
  K8sResolver named(h, &telemetry, o);
  Backends hb;
  REQUIRE(named.Start(hb.Callback()).ok());
  CHECK(hb.Get() == std::vector<std::string>{"gw-0.gw-sts.observability", "gw-1.gw-sts.observability"});
  named.Shutdown();

  // No namespace given: the pod's own, from the service account mount.
  const std::string ns_file = (dir / "namespace").string();
  { std::ofstream(ns_file) << "default"; }
  K8sResolverConfig d;
  d.service = "gw";
  d.timeout = std::chrono::seconds(5);
  K8sResolver::Options od = o;
  od.namespace_file = ns_file;
  K8sResolver in_default(d, &telemetry, od);
  CHECK(in_default.service_namespace() == "default");
  Backends db;
  REQUIRE(in_default.Start(db.Callback()).ok());
  CHECK(db.Get() == std::vector<std::string>{"10.8.8.8"});
  in_default.Shutdown();
  ::unsetenv("KUBECONFIG");
  std::filesystem::remove_all(dir);
}

TEST_CASE("k8s resolver start fails when the API server cannot be listed in time") {
  const auto dir = std::filesystem::temp_directory_path() / ("lb-k8s-bad-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  FakeApiServer api("right");
  const std::string path = (dir / "kubeconfig").string();
  {
    std::ofstream out(path);
    out << "apiVersion: v1\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: "
           "http://127.0.0.1:"
        << api.port()
        << "\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nusers:\n- name: u\n  user: "
        << "{token: wrong}\n";
  }
  ::setenv("KUBECONFIG", path.c_str(), 1);
  LbTelemetry telemetry;
  K8sResolverConfig c;
  c.service = "gw.observability";
  c.timeout = std::chrono::milliseconds(300);
  K8sResolver r(c, &telemetry);
  Backends b;
  Status s = r.Start(b.Callback());
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("endpoints informer not sync") != std::string::npos);
  ::unsetenv("KUBECONFIG");
  std::filesystem::remove_all(dir);
}
