#include "k8s/reflector.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "k8s/api_config.h"
#include "test/k8s/fake_api_server.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace otlpd::k8s;
using otlpd::test::FakeApiServer;
using otlpd::test::FakePod;
using otlpd::test::WaitFor;

namespace {

// Keeps name -> node of the pods it is told about.
class PodNames : public ObjectSink {
 public:
  void BeginList() override {
    std::lock_guard<std::mutex> lock(mu_);
    listed_.clear();
  }
  void Listed(simdjson::dom::element o) override {
    std::lock_guard<std::mutex> lock(mu_);
    listed_.insert(Put(o));
  }
  void EndList() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(pods_, [&](const auto& kv) { return !listed_.count(kv.first); });
    ++lists_;
  }
  void Upsert(simdjson::dom::element o) override {
    std::lock_guard<std::mutex> lock(mu_);
    Put(o);
  }
  void Delete(simdjson::dom::element o) override {
    std::lock_guard<std::mutex> lock(mu_);
    pods_.erase(std::string(o["metadata"]["name"].get_string().value()));
  }
  std::map<std::string, std::string> pods() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pods_;
  }
  int lists() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lists_;
  }

 private:
  std::string Put(simdjson::dom::element o) {
    std::string name(o["metadata"]["name"].get_string().value());
    std::string_view ip;
    if (o["status"]["podIP"].get(ip)) ip = "";
    pods_[name] = std::string(ip);
    return name;
  }
  mutable std::mutex mu_;
  std::map<std::string, std::string> pods_;
  std::set<std::string> listed_;
  int lists_ = 0;
};

Endpoint Local(const FakeApiServer& server, const std::string& token = "") {
  Endpoint e;
  e.tls = false;
  e.host = "127.0.0.1";
  e.port = std::to_string(server.port());
  e.token = token;
  return e;
}

ReflectorOptions Fast() {
  ReflectorOptions o;
  o.backoff_initial = std::chrono::milliseconds(20);
  o.backoff_max = std::chrono::milliseconds(100);
  return o;
}

FakePod Pod(int i, const std::string& node = "node-1") {
  FakePod p;
  p.name = "pod-" + std::to_string(i);
  p.uid = "uid-" + std::to_string(i);
  p.ip = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
  p.node = node;
  return p;
}

}  // namespace

TEST_CASE("reflector lists in pages, then follows the watch: add, update, delete") {
  FakeApiServer server("s3cret");
  for (int i = 0; i < 1203; ++i) server.Upsert("/api/v1/pods", Pod(i).Json());
  server.Upsert("/api/v1/pods", Pod(5000, "node-2").Json());  // another node's pod
  PodNames sink;
  Reflector r("pods", Local(server, "s3cret"), {"/api/v1/pods", "", "spec.nodeName=node-1"}, sink, Fast());
  r.Start();
  REQUIRE(r.WaitForSync(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  CHECK(sink.pods().size() == 1203);
  CHECK(sink.pods().count("pod-5000") == 0);
  // Pages of 500: 3 list requests, the first at resourceVersion 0.
  const auto reqs = server.requests();
  REQUIRE(reqs.size() >= 3);
  CHECK(reqs[0] == "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1&limit=500&resourceVersion=0");
  CHECK(reqs[1].find("continue=") != std::string::npos);
  CHECK(reqs[1].find("resourceVersion") == std::string::npos);

  REQUIRE(WaitFor([&] { return server.open_watches() == 1; }));
  FakePod moved = Pod(7);
  moved.ip = "10.9.9.9";
  server.Upsert("/api/v1/pods", moved.Json());
  server.Upsert("/api/v1/pods", Pod(9999).Json());
  server.Delete("/api/v1/pods", "default", "pod-3");
  REQUIRE(WaitFor([&] {
    auto p = sink.pods();
    return p.count("pod-9999") && !p.count("pod-3") && p["pod-7"] == "10.9.9.9";
  }));
  const auto watch = server.requests().back();
  CHECK(watch.find("watch=true") != std::string::npos);
  CHECK(watch.find("allowWatchBookmarks=true") != std::string::npos);
  CHECK(watch.find("timeoutSeconds=") != std::string::npos);
  r.Stop();
}

TEST_CASE("reflector resumes a broken watch and relists after 410") {
  FakeApiServer server;
  for (int i = 0; i < 10; ++i) server.Upsert("/api/v1/pods", Pod(i).Json());
  PodNames sink;
  Reflector r("pods", Local(server), {"/api/v1/pods", "", ""}, sink, Fast());
  r.Start();
  REQUIRE(r.WaitForSync(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  REQUIRE(WaitFor([&] { return server.open_watches() == 1; }));

  // A cut watch: the reflector comes back (after its relist) and sees what
  // changed meanwhile.
  server.BreakWatches();
  server.Upsert("/api/v1/pods", Pod(100).Json());
  REQUIRE(WaitFor([&] { return sink.pods().count("pod-100") == 1; }));
  REQUIRE(WaitFor([&] { return server.open_watches() == 1; }));

  // Bookmarks move the resourceVersion without touching the store.
  server.SendBookmarks();
  // History compacted while unwatched: the next watch gets 410 and the
  // reflector relists; a pod deleted meanwhile is gone after it.
  const int lists_before = sink.lists();
  const std::size_t watches_before = server.count_requests("/api/v1/pods?watch");
  server.HoldWatches(true);
  server.BreakWatches();
  REQUIRE(WaitFor([&] { return server.count_requests("/api/v1/pods?watch") > watches_before; }));
  server.Delete("/api/v1/pods", "default", "pod-1");
  server.Upsert("/api/v1/pods", Pod(101).Json());
  server.Compact();
  server.HoldWatches(false);
  const bool relisted = WaitFor([&] { return sink.lists() > lists_before; });
  if (!relisted) {
    for (const auto& q : server.requests()) UNSCOPED_INFO(q);
  }
  REQUIRE(relisted);
  REQUIRE(WaitFor([&] {
    auto p = sink.pods();
    return p.count("pod-101") == 1 && p.count("pod-1") == 0;
  }));
  CHECK(r.lists() >= 2);
  r.Stop();
}

TEST_CASE("reflector keeps trying when the API server refuses, and says why") {
  FakeApiServer server("right");
  PodNames sink;
  Reflector r("pods", Local(server, "wrong"), {"/api/v1/pods", "", ""}, sink, Fast());
  r.Start();
  REQUIRE(WaitFor([&] { return r.failures() >= 2; }));
  CHECK_FALSE(r.HasSynced());
  r.Stop();
}

TEST_CASE("10,000 pods list and sync") {
  FakeApiServer server;
  for (int i = 0; i < 10000; ++i) server.Upsert("/api/v1/pods", Pod(i).Json());
  PodNames sink;
  Reflector r("pods", Local(server), {"/api/v1/pods", "", ""}, sink, Fast());
  r.Start();
  REQUIRE(r.WaitForSync(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  CHECK(sink.pods().size() == 10000);
  CHECK(server.count_requests("/api/v1/pods?limit=500") == 20);
  r.Stop();
}

TEST_CASE("kubeconfig and in-cluster credentials resolve as client-go's") {
  const auto dir = std::filesystem::temp_directory_path() / ("k8s-cfg-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  FakeApiServer server("tok");
  ApiConfig c;
  c.auth_type = AuthType::kKubeConfig;
  c.kube_config_path = server.WriteKubeConfig(dir.string());
  Result<Endpoint> e = Resolve(c);
  REQUIRE(e.ok());
  CHECK_FALSE(e->tls);
  CHECK(e->port == std::to_string(server.port()));
  CHECK(*e->Authorization() == "Bearer tok");

  c.context = "missing";
  CHECK_FALSE(Resolve(c).ok());

  ApiConfig sa;
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  Result<Endpoint> none = Resolve(sa);
  REQUIRE_FALSE(none.ok());
  CHECK(
      none.status().message() ==
      "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be "
      "defined");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  InClusterPaths paths;
  paths.token = (dir / "token").string();
  paths.ca = (dir / "ca.crt").string();
  { std::ofstream(paths.token) << "abc\n"; }
  { std::ofstream(paths.ca) << "-----BEGIN CERTIFICATE-----\n"; }
  Result<Endpoint> in = Resolve(sa, paths);
  REQUIRE(in.ok());
  CHECK(in->Url() == "https://10.96.0.1:443");
  CHECK(*in->Authorization() == "Bearer abc");
  // The kubelet rotates the token: it is read again for each request.
  { std::ofstream(paths.token) << "def"; }
  CHECK(*in->Authorization() == "Bearer def");
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  std::filesystem::remove_all(dir);
}
