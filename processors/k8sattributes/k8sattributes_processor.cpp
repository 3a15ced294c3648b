#include "processors/k8sattributes/k8sattributes_processor.h"

#include <spdlog/spdlog.h>
#include <boost/asio/ip/address.hpp>

#include "opentelemetry/proto/common/v1/common.pb.h"
#include "processors/resource/resource_processor.h"

namespace otlpd::processors::k8sattributes {
namespace {

using opentelemetry::proto::common::v1::AnyValue;
using KeyValues = google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>;

const AnyValue* Find(const KeyValues& attrs, std::string_view key) {
  for (const auto& kv : attrs) {
    if (kv.key() == key) return &kv.value();
  }
  return nullptr;
}

// pcommon's stringAttributeFromMap: the value when it is a string, else "".
std::string StringAttr(const KeyValues& attrs, std::string_view key) {
  const AnyValue* v = Find(attrs, key);
  return v != nullptr && v->value_case() == AnyValue::kStringValue ? v->string_value() : std::string();
}

// otelcol's setResourceAttribute: set unless present with a non-empty
// AsString() (an empty string, empty bytes or no value count as absent).
bool SetIfEmpty(KeyValues& attrs, std::string_view key, const std::string& value) {
  for (auto& kv : attrs) {
    if (kv.key() != key) continue;
    const AnyValue& v = kv.value();
    const bool empty = v.value_case() == AnyValue::VALUE_NOT_SET ||
                       (v.value_case() == AnyValue::kStringValue && v.string_value().empty()) ||
                       (v.value_case() == AnyValue::kBytesValue && v.bytes_value().empty());
    if (!empty) return false;
    kv.mutable_value()->set_string_value(value);
    return true;
  }
  auto* kv = attrs.Add();
  kv->set_key(std::string(key));
  kv->mutable_value()->set_string_value(value);
  return true;
}

bool IsIp(const std::string& s) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(s, ec);
  return !ec && !s.empty();
}

// The pod identifier of a resource: the first association whose sources all
// have a value (otelcol's extractPodID), or with no association configured
// the built-in order: k8s.pod.ip, ip, the connection, host.name if an IP.
PodKey ExtractPodKey(const KeyValues& attrs, const std::string& client_ip,
                     const std::vector<Association>& rules) {
  if (rules.empty()) {
    PodKey k;
    std::string v = StringAttr(attrs, "k8s.pod.ip");
    if (v.empty()) v = StringAttr(attrs, "ip");
    if (v.empty()) v = client_ip;
    if (v.empty()) {
      const std::string host = StringAttr(attrs, "host.name");
      if (IsIp(host)) v = host;
    }
    if (!v.empty()) k.Add("connection", "", v);
    return k;
  }
  for (const Association& a : rules) {
    PodKey k;
    bool skip = false;
    for (const AssociationSource& s : a) {
      if (s.from == "connection") {
        if (client_ip.empty()) {
          skip = true;
          break;
        }
        k.Add("connection", "", client_ip);
        continue;
      }
      const std::string v = StringAttr(attrs, s.name);
      if (v.empty() || (s.name == "host.name" && !IsIp(v))) {
        skip = true;
        break;
      }
      k.Add("resource_attribute", s.name, v);
    }
    if (!skip && !k.empty()) return k;
  }
  return PodKey();
}

bool AddContainerAttributes(KeyValues& attrs, const Pod& pod) {
  const std::string name = StringAttr(attrs, "k8s.container.name");
  const std::string id = StringAttr(attrs, "container.id");
  const Container* c = nullptr;
  if (!name.empty()) {
    auto it = pod.by_name.find(name);
    if (it == pod.by_name.end()) return false;
    c = it->second.get();
  } else if (!id.empty()) {
    auto it = pod.by_id.find(id);
    if (it == pod.by_id.end()) return false;
    c = it->second.get();
  } else if (pod.by_id.size() == 1) {
    c = pod.by_id.begin()->second.get();  // the pod's only container
  } else if (pod.by_name.size() == 1) {
    c = pod.by_name.begin()->second.get();
  } else {
    return false;
  }
  bool changed = false;
  if (!c->name.empty()) changed |= SetIfEmpty(attrs, "k8s.container.name", c->name);
  if (!c->image_name.empty()) changed |= SetIfEmpty(attrs, "container.image.name", c->image_name);
  if (!c->image_tag.empty()) changed |= SetIfEmpty(attrs, "container.image.tag", c->image_tag);
  // Which run of the container: the sender's restart count, else the latest.
  int run = -1;
  if (const AnyValue* rc = Find(attrs, "k8s.container.restart_count")) {
    if (rc->value_case() == AnyValue::kIntValue) {
      run = static_cast<int>(rc->int_value());
    } else if (rc->value_case() == AnyValue::kStringValue) {
      try {
        std::size_t used = 0;
        const int v = std::stoi(rc->string_value(), &used);
        if (used == rc->string_value().size()) run = v;
      } catch (const std::exception&) {
      }
    }
  } else if (!c->statuses.empty()) {
    run = c->statuses.rbegin()->first;
  }
  if (run != -1) {
    if (auto it = c->statuses.find(run); it != c->statuses.end()) {
      if (Find(attrs, "container.id") == nullptr && !it->second.container_id.empty()) {
        auto* kv = attrs.Add();
        kv->set_key("container.id");
        kv->mutable_value()->set_string_value(it->second.container_id);
        changed = true;
      }
      if (Find(attrs, "container.image.repo_digests") == nullptr && !it->second.repo_digest.empty()) {
        auto* kv = attrs.Add();
        kv->set_key("container.image.repo_digests");
        kv->mutable_value()->mutable_array_value()->add_values()->set_string_value(it->second.repo_digest);
        changed = true;
      }
    }
  }
  return changed;
}

}  // namespace

Kube::Kube(Config config, KubeOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      store_(config_, PodStore::Options{options_.delete_grace}) {}

Kube::~Kube() { StopWatching(); }

Status Kube::Acquire() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_) {
    started_ = true;
    start_status_ = config_.passthrough ? Status::Ok() : StartWatching();
  }
  if (start_status_.ok()) ++users_;
  return start_status_;
}

void Kube::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  if (users_ > 0 && --users_ == 0) StopWatching();
}

bool Kube::synced() const { return pods_ != nullptr && pods_->HasSynced(); }

Status Kube::StartWatching() {
  Result<k8s::Endpoint> endpoint = k8s::Resolve(config_.api, options_.in_cluster);
  if (!endpoint.ok()) return Status::InvalidArgument("k8sattributes: " + endpoint.status().message());
  const Metadata& m = config_.extract.metadata;
  const std::string& ns = config_.filter.namespace_;
  auto collection = [&](std::string_view group, std::string_view resource) {
    std::string path(group);
    if (!ns.empty()) path += "/namespaces/" + k8s::QueryEscape(ns);
    return path + "/" + std::string(resource);
  };
  auto uses = [&](From from) {
    for (const auto* rules : {&config_.extract.labels, &config_.extract.annotations})
      for (const FieldRule& r : *rules)
        if (r.from == from) return true;
    return false;
  };
  std::vector<const k8s::Reflector*> deps;
  auto add = [&](std::string name, k8s::WatchTarget target, k8s::ObjectSink& sink) {
    reflectors_.push_back(std::make_unique<k8s::Reflector>(std::move(name), *endpoint, std::move(target),
                                                           sink, options_.reflector));
    deps.push_back(reflectors_.back().get());
  };
  if (uses(From::kNamespace)) {
    add("namespaces", {"/api/v1/namespaces", "", ""}, store_.namespace_sink());
  } else if (m.cluster_uid) {
    // Only kube-system, whose uid names the cluster.
    add("namespaces", {"/api/v1/namespaces", "", "metadata.name=kube-system"}, store_.namespace_sink());
  }
  if (uses(From::kNode) || m.node_uid) {
    const std::string node = config_.filter.node;
    add("nodes", {"/api/v1/nodes", "", node.empty() ? "" : "metadata.name=" + node}, store_.node_sink());
  }
  if (m.deployment_uid || (m.deployment_name && !config_.extract.deployment_name_from_replicaset)) {
    add("replicasets", {collection("/apis/apps/v1", "replicasets"), "", ""}, store_.replicaset_sink());
  }
  reflectors_.push_back(std::make_unique<k8s::Reflector>(
      "pods", *endpoint,
      k8s::WatchTarget{collection("/api/v1", "pods"), config_.PodLabelSelector(), config_.PodFieldSelector()},
      store_.pod_sink(), options_.reflector, deps));
  pods_ = reflectors_.back().get();
  spdlog::info("k8sattributes: watching {} (labelSelector \"{}\", fieldSelector \"{}\")", endpoint->Url(),
               config_.PodLabelSelector(), config_.PodFieldSelector());
  for (auto& r : reflectors_) r->Start();
  purger_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(purge_mu_);
    while (!purge_cv_.wait_for(lock, options_.purge_interval, [&] { return stopping_; })) {
      lock.unlock();
      store_.PurgeDeleted(std::chrono::steady_clock::now());
      lock.lock();
    }
  });
  if (config_.wait_for_metadata) {
    const auto deadline =
        std::chrono::steady_clock::now() +
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(config_.wait_for_metadata_timeout);
    if (!pods_->WaitForSync(deadline)) {
      StopWatching();
      return Status::Unavailable("k8sattributes: failed to wait for caches to sync");
    }
  }
  return Status::Ok();
}

void Kube::StopWatching() {
  {
    std::lock_guard<std::mutex> lock(purge_mu_);
    stopping_ = true;
  }
  purge_cv_.notify_all();
  if (purger_.joinable()) purger_.join();
  for (auto& r : reflectors_) r->Stop();
}

std::vector<ComponentMetric> Kube::Metrics() const {
  auto counter = [](std::string name, std::string help, double value, ComponentMetric::Type type) {
    ComponentMetric m;
    m.name = std::move(name);
    m.help = std::move(help);
    m.unit = "1";
    m.type = type;
    m.points.push_back({{}, value, {}, {}, 0});
    return m;
  };
  using T = ComponentMetric::Type;
  return {
      counter("otelcol_otelsvc_k8s_pod_added", "Number of pod add events received", store_.pods_added(),
              T::kCounter),
      counter("otelcol_otelsvc_k8s_pod_updated", "Number of pod update events received",
              store_.pods_updated(), T::kCounter),
      counter("otelcol_otelsvc_k8s_pod_deleted", "Number of pod delete events received",
              store_.pods_deleted(), T::kCounter),
      counter("otelcol_otelsvc_k8s_ip_lookup_miss", "Number of times pod by IP lookup failed.",
              store_.lookup_misses(), T::kCounter),
      counter("otelcol_otelsvc_k8s_pod_table_size", "Size of table containing pod info",
              static_cast<double>(store_.pod_table_size()), T::kGauge),
  };
}

K8sAttributesProcessor::K8sAttributesProcessor(Signal signal, std::shared_ptr<Kube> kube, Consumer* next)
    : signal_(signal), kube_(std::move(kube)), next_(next) {}

Status K8sAttributesProcessor::Start() {
  Status s = kube_->Acquire();
  acquired_ = s.ok();
  return s;
}

void K8sAttributesProcessor::Shutdown(Clock::time_point) {
  if (acquired_) kube_->Release();
  acquired_ = false;
}

bool K8sAttributesProcessor::Enrich(opentelemetry::proto::resource::v1::Resource& resource,
                                    const std::string& client_ip) const {
  const Config& config = kube_->config();
  KeyValues& attrs = *resource.mutable_attributes();
  const PodKey key = ExtractPodKey(attrs, client_ip, config.associations);
  bool changed = false;
  // otelcol: the first connection-sourced part of the identifier gives k8s.pod.ip.
  if (!key.connection_value().empty() && (config.passthrough || config.extract.metadata.pod_ip)) {
    changed |= SetIfEmpty(attrs, "k8s.pod.ip", std::string(key.connection_value()));
  }
  if (config.passthrough) return changed;

  std::shared_ptr<const Pod> pod = key.empty() ? nullptr : kube_->store().GetPod(key);
  if (pod != nullptr) {
    for (const auto& [k, v] : pod->attributes) changed |= SetIfEmpty(attrs, k, v);
    changed |= AddContainerAttributes(attrs, *pod);
  }
  const std::string ns =
      pod != nullptr && !pod->namespace_.empty() ? pod->namespace_ : StringAttr(attrs, "k8s.namespace.name");
  if (!ns.empty()) {
    if (auto n = kube_->store().GetNamespace(ns))
      for (const auto& [k, v] : n->attributes) changed |= SetIfEmpty(attrs, k, v);
  }
  const std::string node =
      pod != nullptr && !pod->node_name.empty() ? pod->node_name : StringAttr(attrs, "k8s.node.name");
  if (!node.empty()) {
    if (auto n = kube_->store().GetNode(node)) {
      for (const auto& [k, v] : n->attributes) changed |= SetIfEmpty(attrs, k, v);
      if (!n->uid.empty()) changed |= SetIfEmpty(attrs, "k8s.node.uid", n->uid);
    }
  }
  return changed;
}

Status K8sAttributesProcessor::Consume(const PayloadPtr& payload) {
  Result<std::optional<std::string>> rewritten = resource::RewriteResources(
      signal_, payload->bytes,
      [&](opentelemetry::proto::resource::v1::Resource& r) { return Enrich(r, payload->client_address); });
  if (!rewritten.ok()) return rewritten.status();
  if (!rewritten->has_value()) return next_->Consume(payload);
  return next_->Consume(DerivePayload(*payload, std::move(**rewritten), payload->items));
}

}  // namespace otlpd::processors::k8sattributes
