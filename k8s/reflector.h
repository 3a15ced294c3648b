#pragma once

// client-go's reflector, for otlpd: keeps a sink in step with one kind of
// Kubernetes object by list + watch over the API's JSON protocol. Lists are
// paged (limit/continue), watches resume from the last resourceVersion with
// bookmarks, an expired resourceVersion (410) relists, and failures back off
// exponentially. The sink sees parsed objects only while it is called, so it
// keeps just the fields it needs: memory is bounded by the objects selected
// (a DaemonSet selects its node's pods), not by the API's full objects.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <simdjson.h>

#include "k8s/client.h"

namespace otlpd::k8s {

// A collection to list and watch.
struct WatchTarget {
  std::string path;  // "/api/v1/pods", "/apis/apps/v1/namespaces/x/replicasets"
  std::string label_selector;
  std::string field_selector;  // "spec.nodeName=node-1"
};

// Receives the objects of one reflector, on the reflector's thread.
class ObjectSink {
 public:
  virtual ~ObjectSink() = default;
  // A full list starts; its objects come through Listed, then EndList: an
  // object that was not listed is gone (it was deleted while unwatched).
  virtual void BeginList() = 0;
  virtual void Listed(simdjson::dom::element object) = 0;
  virtual void EndList() = 0;
  virtual void Upsert(simdjson::dom::element object) = 0;  // ADDED, MODIFIED
  virtual void Delete(simdjson::dom::element object) = 0;  // DELETED
};

struct ReflectorOptions {
  std::size_t page_size = 500;  // client-go's pager
  std::chrono::milliseconds request_timeout{60000};
  // Watches ask the server to end them after a random time in [min, 2*min),
  // as client-go does, so that load balancers spread over API servers.
  std::chrono::seconds min_watch_timeout{300};
  // When set, every watch asks for exactly this timeoutSeconds instead.
  std::optional<std::chrono::seconds> watch_timeout;
  std::chrono::milliseconds backoff_initial{800};
  std::chrono::milliseconds backoff_max{30000};
  std::size_t max_event_bytes = 8 << 20;   // one watch event line
  std::size_t max_page_bytes = 256 << 20;  // one list page
};

class Reflector {
 public:
  // `name` is for logs ("pods"). `after` must have synced before this
  // reflector lists (client-go starts the pod informer after the others).
  Reflector(std::string name, Endpoint endpoint, WatchTarget target, ObjectSink& sink,
            ReflectorOptions options = {}, std::vector<const Reflector*> after = {});
  ~Reflector();

  void Start();
  void Stop();
  // True once a full list has reached the sink.
  bool HasSynced() const { return synced_.load(std::memory_order_acquire); }
  // Waits for HasSynced until `deadline`; false on timeout or Stop.
  bool WaitForSync(std::chrono::steady_clock::time_point deadline) const;

  // For tests and self-metrics.
  std::uint64_t lists() const { return lists_.load(std::memory_order_relaxed); }
  std::uint64_t watches() const { return watches_.load(std::memory_order_relaxed); }
  std::uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  enum class WatchEnd { kClosed, kExpired, kFailed, kStopped };
  void Run();
  // Lists every page into the sink; false on failure (logged).
  bool List();
  WatchEnd Watch();
  bool Sleep(std::chrono::milliseconds d);  // false when stopped
  std::string Query(bool watch, const std::string& resource_version, const std::string& cont,
                    bool paged) const;

  const std::string name_;
  const WatchTarget target_;
  ObjectSink& sink_;
  const ReflectorOptions options_;
  const std::vector<const Reflector*> after_;
  Client client_;
  simdjson::dom::parser parser_;

  std::string resource_version_;  // of the last list or event
  bool rv_unavailable_ = false;   // the last relist at resource_version_ got 410

  std::thread thread_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<bool> synced_{false};
  std::atomic<std::uint64_t> lists_{0};
  std::atomic<std::uint64_t> watches_{0};
  std::atomic<std::uint64_t> failures_{0};
};

// The Status object the API server answers failures with: its message, or
// the body's beginning when it is not one.
std::string StatusMessage(std::string_view body);

// Percent-encodes a query parameter value (RFC 3986 unreserved kept).
std::string QueryEscape(std::string_view value);

}  // namespace otlpd::k8s
