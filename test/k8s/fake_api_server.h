#pragma once

// A stand-in Kubernetes API server for tests, on 127.0.0.1 port 0, speaking
// the real list/watch protocol over JSON: collection paths (core and named
// groups, cluster-wide or per namespace), labelSelector and fieldSelector,
// paged lists (limit/continue, metadata.resourceVersion), watches from a
// resourceVersion as chunked newline-delimited events (ADDED, MODIFIED,
// DELETED, BOOKMARK), a 410 ERROR event for a compacted resourceVersion,
// timeoutSeconds, and Status objects for failures (401 without the token).

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace otlpd::test {

class FakeApiServer {
 public:
  explicit FakeApiServer(std::string token = "");
  ~FakeApiServer();

  int port() const { return port_; }
  // A kubeconfig naming this server and token, written into `dir`.
  std::string WriteKubeConfig(const std::string& dir) const;

  // Stores an object under a collection ("/api/v1/pods",
  // "/apis/apps/v1/replicasets"); `json` is the object without
  // metadata.resourceVersion, which the server assigns. ADDED or MODIFIED
  // goes to the watches.
  void Upsert(const std::string& collection, const std::string& json);
  void Delete(const std::string& collection, const std::string& ns, const std::string& name);
  // Forgets the event history: watches from older resourceVersions get 410.
  void Compact();
  // Cuts every open watch without ending its chunked body.
  void BreakWatches();
  void SendBookmarks();
  // While held, watch requests wait unanswered (a reflector falls behind).
  void HoldWatches(bool hold);

  std::uint64_t resource_version() const;
  std::size_t open_watches() const;
  // Every request target received, in order.
  std::vector<std::string> requests() const;
  std::size_t count_requests(const std::string& prefix) const;

 private:
  struct Object {
    std::string ns, name, json;  // json has a "%RV%" placeholder
    std::uint64_t rv = 0;
  };
  struct Event {
    std::string collection, type;
    Object object;
  };
  struct Watch;

  void Accept();
  void Serve(int fd);
  std::string Render(const Object& o) const;
  bool Matches(const Object& o, const std::map<std::string, std::string>& query, const std::string& ns) const;

  std::string token_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool hold_ = false;
  std::uint64_t rv_ = 100;
  std::uint64_t compacted_ = 0;                                       // events at or below this are gone
  std::map<std::string, std::map<std::string, Object>> collections_;  // collection -> ns/name -> object
  std::deque<Event> history_;
  std::uint64_t break_epoch_ = 0, bookmark_epoch_ = 0;
  std::size_t open_watches_ = 0;
  std::vector<std::string> requests_;
  std::vector<int> conn_fds_;
  std::vector<std::thread> workers_;
};

// A pod object as the API server serves it (trimmed to what matters).
struct FakePod {
  std::string name, ns = "default", uid, ip, node = "node-1";
  std::map<std::string, std::string> labels, annotations;
  std::string owner_kind, owner_name, owner_uid;
  std::string start_time = "2024-05-01T10:00:00Z";
  std::string image = "registry.example.com/shop/cart:1.4.2";
  std::string container_id = "containerd://c0ffee";
  bool host_network = false;
  std::string Json() const;
};

std::string NamespaceJson(const std::string& name, const std::string& uid,
                          const std::map<std::string, std::string>& labels = {});
std::string NodeJson(const std::string& name, const std::string& uid,
                     const std::map<std::string, std::string>& labels = {});
std::string ReplicaSetJson(const std::string& ns, const std::string& name, const std::string& uid,
                           const std::string& deployment, const std::string& deployment_uid);

}  // namespace otlpd::test
