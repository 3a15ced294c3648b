#pragma once

// The Kubernetes metadata k8sattributes keeps: pods (by every identifier the
// pod associations can look them up with), namespaces, nodes and ReplicaSets,
// fed by reflectors, read by the data path. As otelcol's WatchClient: a pod's
// attributes are computed when it arrives, a deleted pod stays findable for a
// grace period (its IP may still send), and a newer pod takes an identifier
// (an IP) from an older one only if it started later.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "k8s/reflector.h"
#include "processors/k8sattributes/config.h"

namespace otlpd::processors::k8sattributes {

using Attributes = std::vector<std::pair<std::string, std::string>>;

struct ContainerStatus {
  std::string container_id;  // without the runtime's "containerd://" prefix
  std::string repo_digest;
};

struct Container {
  std::string name;  // set when k8s.container.name is extracted
  std::string image_name;
  std::string image_tag;
  std::map<int, ContainerStatus> statuses;  // by restart count
};

struct Pod {
  std::string name, namespace_, uid, address, node_name;
  std::string start_time;  // status.startTime, RFC 3339
  bool host_network = false;
  bool ignore = false;  // excluded by name or the ignore annotation
  Attributes attributes;
  std::map<std::string, std::shared_ptr<const Container>> by_name, by_id;
};

// An object's uid and its extracted label/annotation attributes.
struct ObjectAttributes {
  std::string uid;
  Attributes attributes;
};

// A pod identifier: up to four (source, name, value) triples, as one string
// key. Both sides (pods arriving, resources looked up) build it the same way.
class PodKey {
 public:
  void Add(std::string_view from, std::string_view name, std::string_view value);
  const std::string& str() const { return key_; }
  bool empty() const { return key_.empty(); }
  // "connection", "resource_attribute/k8s.pod.uid+...": which sources, no values.
  const std::string& sources() const { return sources_; }
  // The value of the first `connection` source, "" when none.
  std::string_view connection_value() const { return connection_value_; }

 private:
  std::string key_, sources_;
  std::string connection_value_;
};

class PodStore {
 public:
  struct Options {
    std::chrono::milliseconds delete_grace{std::chrono::seconds(120)};  // otelcol's pod delete grace period
  };
  PodStore(const Config& config, Options options);
  PodStore(const Config& config) : PodStore(config, Options{}) {}

  k8s::ObjectSink& pod_sink() { return pods_sink_; }
  k8s::ObjectSink& namespace_sink() { return namespaces_sink_; }
  k8s::ObjectSink& node_sink() { return nodes_sink_; }
  k8s::ObjectSink& replicaset_sink() { return replicasets_sink_; }

  // The pod an identifier names; null when unknown or ignored (a miss is counted).
  std::shared_ptr<const Pod> GetPod(const PodKey& key) const;
  std::shared_ptr<const ObjectAttributes> GetNamespace(const std::string& name) const;
  std::shared_ptr<const ObjectAttributes> GetNode(const std::string& name) const;

  // Removes the pods deleted more than the grace period before `now`.
  void PurgeDeleted(std::chrono::steady_clock::time_point now);

  std::size_t pod_table_size() const;
  std::uint64_t pods_added() const { return pods_added_.load(std::memory_order_relaxed); }
  std::uint64_t pods_updated() const { return pods_updated_.load(std::memory_order_relaxed); }
  std::uint64_t pods_deleted() const { return pods_deleted_.load(std::memory_order_relaxed); }
  std::uint64_t lookup_misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  // Adapts reflector callbacks to the store's handlers.
  template <class Owner>
  class Sink : public k8s::ObjectSink {
   public:
    using Handler = void (Owner::*)(simdjson::dom::element, int);
    Sink(Owner& owner, Handler handler, void (Owner::*end)(), void (Owner::*begin)())
        : owner_(owner), handler_(handler), end_(end), begin_(begin) {}
    void BeginList() override { (owner_.*begin_)(); }
    void Listed(simdjson::dom::element o) override { (owner_.*handler_)(o, kListed); }
    void EndList() override { (owner_.*end_)(); }
    void Upsert(simdjson::dom::element o) override { (owner_.*handler_)(o, kUpsert); }
    void Delete(simdjson::dom::element o) override { (owner_.*handler_)(o, kDelete); }

   private:
    Owner& owner_;
    Handler handler_;
    void (Owner::*end_)();
    void (Owner::*begin_)();
  };
  static constexpr int kListed = 0, kUpsert = 1, kDelete = 2;

  void OnPod(simdjson::dom::element o, int what);
  void OnNamespace(simdjson::dom::element o, int what);
  void OnNode(simdjson::dom::element o, int what);
  void OnReplicaSet(simdjson::dom::element o, int what);
  void BeginPods() { listed_pods_.clear(); }
  void EndPods();
  void BeginNamespaces() { listed_other_.clear(); }
  void EndNamespaces();
  void BeginNodes() { listed_other_nodes_.clear(); }
  void EndNodes();
  void BeginReplicaSets() { listed_rs_.clear(); }
  void EndReplicaSets();

  std::shared_ptr<Pod> PodFromJson(simdjson::dom::element o) const;
  Attributes PodAttributes(simdjson::dom::element o, const Pod& pod) const;
  void ContainersFromJson(simdjson::dom::element o, Pod& pod) const;
  std::vector<PodKey> Identifiers(const Pod& pod) const;
  void AddOrUpdate(const std::shared_ptr<const Pod>& pod);
  void Forget(const Pod& pod);  // queue its identifiers for deletion
  Attributes ObjectAttrs(simdjson::dom::element o, From from) const;
  // Namespaces and nodes alike: kept by name with their uid and attributes
  // (`from`), in `table`; `listed` holds the names of the list in progress.
  using NamedObjects = std::unordered_map<std::string, std::shared_ptr<const ObjectAttributes>>;
  void OnNamed(simdjson::dom::element o, int what, From from, NamedObjects& table,
               std::unordered_set<std::string>& listed);
  // One list or watch event for `table` at `key` (none when empty): a delete
  // erases the entry; otherwise `make()` builds the value outside the lock
  // and it is stored, its key remembered in `listed` when it is listed.
  template <class Table, class Make>
  void Apply(Table& table, const std::string& key, int what, std::unordered_set<std::string>& listed,
             Make make);
  // The end of a list: what `table` holds that the list did not name goes.
  template <class Table>
  void Sweep(Table& table, std::unordered_set<std::string>& listed);

  const Config& config_;
  const Options options_;
  Sink<PodStore> pods_sink_, namespaces_sink_, nodes_sink_, replicasets_sink_;

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const Pod>> pods_;  // by PodKey
  std::unordered_map<std::string, std::shared_ptr<const ObjectAttributes>> namespaces_, nodes_;
  struct ReplicaSet {
    std::string deployment_name, deployment_uid;
  };
  std::unordered_map<std::string, ReplicaSet> replicasets_;  // by uid
  struct DeleteRequest {
    std::string key, pod_uid;
    std::chrono::steady_clock::time_point at;
  };
  std::vector<DeleteRequest> delete_queue_;  // under mu_

  // Reflector-thread state of the list in progress.
  std::unordered_map<std::string, std::shared_ptr<const Pod>> listed_pods_;  // uid -> pod
  std::unordered_set<std::string> listed_other_, listed_other_nodes_, listed_rs_;

  std::atomic<std::uint64_t> pods_added_{0}, pods_updated_{0}, pods_deleted_{0};
  mutable std::atomic<std::uint64_t> misses_{0};
};

// container.image.name and .tag as Kubernetes parses an image reference
// (docker.io/library/ added to short names, "latest" when no tag or digest).
bool ParseImage(std::string_view image, std::string* name, std::string* tag);
// "docker.io/library/nginx@sha256:..." from a container status imageID; "" if none.
std::string CanonicalImageRef(std::string_view image_id);

}  // namespace otlpd::processors::k8sattributes
