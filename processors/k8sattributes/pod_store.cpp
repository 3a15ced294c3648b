#include "processors/k8sattributes/pod_store.h"

#include <algorithm>
#include <mutex>

#include "internal/text.h"

namespace otlpd::processors::k8sattributes {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

std::string Str(element e, std::string_view a) {
  std::string_view v;
  return e[a].get(v) ? std::string() : std::string(v);
}

// Labels or annotations of an object's metadata.
std::vector<std::pair<std::string_view, std::string_view>> StringMap(element o, std::string_view which) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  object m;
  if (o["metadata"][which].get(m)) return out;
  for (auto field : m) {
    std::string_view v;
    if (!field.value.get(v)) out.emplace_back(field.key, v);
  }
  return out;
}

void Set(Attributes& attrs, std::string key, std::string value) {
  for (auto& [k, v] : attrs) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  attrs.emplace_back(std::move(key), std::move(value));
}

// Go's regexp.Expand: $1, ${1}, $name, ${name}, $$; unknown or unmatched
// groups expand to nothing, and $name takes the longest name ($1x is ${1x}).
std::string Expand(const re2::RE2& re, std::string_view tmpl, std::string_view subject) {
  const int groups = re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> m(static_cast<std::size_t>(groups + 1));
  if (!re.Match(subject, 0, subject.size(), re2::RE2::UNANCHORED, m.data(), groups + 1)) return "";
  auto is_name = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  std::string out;
  for (std::size_t i = 0; i < tmpl.size();) {
    if (tmpl[i] != '$' || i + 1 >= tmpl.size()) {
      out += tmpl[i++];
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    std::string_view name;
    std::size_t next;
    if (tmpl[i + 1] == '{') {
      const std::size_t close = tmpl.find('}', i + 2);
      if (close == std::string_view::npos) {
        out += tmpl[i++];
        continue;
      }
      name = tmpl.substr(i + 2, close - i - 2);
      next = close + 1;
    } else {
      std::size_t j = i + 1;
      while (j < tmpl.size() && is_name(tmpl[j])) ++j;
      name = tmpl.substr(i + 1, j - i - 1);
      next = j;
    }
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_name)) {
      out += tmpl[i++];  // not a reference: Go keeps the '$'
      continue;
    }
    int index = -1;
    if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      if (name.size() < 4) index = std::stoi(std::string(name));
    } else {
      const auto& named = re.NamedCapturingGroups();
      if (auto it = named.find(std::string(name)); it != named.end()) index = it->second;
    }
    if (index >= 0 && index <= groups && m[static_cast<std::size_t>(index)].data() != nullptr) {
      out.append(m[static_cast<std::size_t>(index)].data(), m[static_cast<std::size_t>(index)].size());
    }
    i = next;
  }
  return out;
}

void ApplyRule(const FieldRule& r, const std::vector<std::pair<std::string_view, std::string_view>>& values,
               const char* object_kind, const char* kind, Attributes& out) {
  if (r.key_regex) {
    for (const auto& [k, v] : values) {
      if (v.empty() || !re2::RE2::FullMatch(k, *r.key_regex)) continue;
      std::string name = r.has_reference
                             ? Expand(*r.key_regex, r.tag_name, k)
                             : "k8s." + std::string(object_kind) + "." + kind + "." + std::string(k);
      Set(out, std::move(name), std::string(v));
    }
    return;
  }
  for (const auto& [k, v] : values) {
    if (k == r.key) Set(out, r.tag_name, std::string(v));
  }
}

// Kubernetes' docker reference normalisation, for names only.
std::string NormalizeName(std::string_view name) {
  const auto slash = name.find('/');
  if (slash == std::string_view::npos) return "docker.io/library/" + std::string(name);
  const std::string_view first = name.substr(0, slash);
  if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
      first == "localhost") {
    if (first == "index.docker.io") return "docker.io" + std::string(name.substr(slash));
    return std::string(name);
  }
  return "docker.io/" + std::string(name);
}

}  // namespace

bool ParseImage(std::string_view image, std::string* name, std::string* tag) {
  if (image.empty()) return false;
  std::string_view digest;
  if (const auto at = image.find('@'); at != std::string_view::npos) {
    digest = image.substr(at + 1);
    image = image.substr(0, at);
  }
  std::string_view t;
  const auto slash = image.rfind('/');
  const auto colon = image.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    t = image.substr(colon + 1);
    image = image.substr(0, colon);
  }
  if (image.empty()) return false;
  for (char c : image) {
    if (c >= 'A' && c <= 'Z') return false;  // repository names are lower case
  }
  *name = NormalizeName(image);
  *tag = t.empty() && digest.empty() ? "latest" : std::string(t);
  return true;
}

std::string CanonicalImageRef(std::string_view image_id) {
  if (const auto scheme = image_id.find("://"); scheme != std::string_view::npos)
    image_id.remove_prefix(scheme + 3);
  const auto at = image_id.find("@sha256:");
  if (at == std::string_view::npos || at == 0) return "";
  return NormalizeName(image_id.substr(0, at)) + std::string(image_id.substr(at));
}

void PodKey::Add(std::string_view from, std::string_view name, std::string_view value) {
  if (!key_.empty()) sources_ += '+';
  if (from == "connection" && connection_value_.empty()) connection_value_ = std::string(value);
  key_.append(from).append(1, '\0').append(name).append(1, '\0').append(value).append(1, '\x01');
  sources_.append(from);
  if (!name.empty()) sources_.append(1, '/').append(name);
}

PodStore::PodStore(const Config& config, Options options)
    : config_(config),
      options_(options),
      pods_sink_(*this, &PodStore::OnPod, &PodStore::EndPods, &PodStore::BeginPods),
      namespaces_sink_(*this, &PodStore::OnNamespace, &PodStore::EndNamespaces, &PodStore::BeginNamespaces),
      nodes_sink_(*this, &PodStore::OnNode, &PodStore::EndNodes, &PodStore::BeginNodes),
      replicasets_sink_(*this, &PodStore::OnReplicaSet, &PodStore::EndReplicaSets,
                        &PodStore::BeginReplicaSets) {}

Attributes PodStore::ObjectAttrs(element o, From from) const {
  Attributes out;
  const char* kind = from == From::kNamespace ? "namespace" : "node";
  const auto labels = StringMap(o, "labels");
  for (const FieldRule& r : config_.extract.labels)
    if (r.from == from) ApplyRule(r, labels, kind, "labels", out);
  const auto annotations = StringMap(o, "annotations");
  for (const FieldRule& r : config_.extract.annotations)
    if (r.from == from) ApplyRule(r, annotations, kind, "annotations", out);
  return out;
}

Attributes PodStore::PodAttributes(element o, const Pod& pod) const {
  const Metadata& m = config_.extract.metadata;
  Attributes tags;
  if (m.pod_name) Set(tags, "k8s.pod.name", pod.name);
  if (m.pod_hostname) Set(tags, "k8s.pod.hostname", Str(o["spec"], "hostname"));
  if (m.pod_ip) Set(tags, "k8s.pod.ip", pod.address);
  if (m.namespace_name) Set(tags, "k8s.namespace.name", pod.namespace_);
  if (m.pod_start_time) {
    std::string created = Str(o["metadata"], "creationTimestamp");
    if (!created.empty()) Set(tags, "k8s.pod.start_time", created);
  }
  if (m.pod_uid) Set(tags, "k8s.pod.uid", pod.uid);
  if (m.NeedsOwners()) {
    simdjson::dom::array owners;
    if (!o["metadata"]["ownerReferences"].get(owners)) {
      for (element ref : owners) {
        const std::string kind = Str(ref, "kind"), name = Str(ref, "name"), uid = Str(ref, "uid");
        if (kind == "ReplicaSet") {
          if (m.replicaset_uid) Set(tags, "k8s.replicaset.uid", uid);
          if (m.replicaset_name) Set(tags, "k8s.replicaset.name", name);
          if (m.deployment_name || m.deployment_uid) {
            std::string dep_name, dep_uid;
            if (config_.extract.deployment_name_from_replicaset) {
              const auto dash = name.rfind('-');
              if (dash != std::string::npos) {
                const std::string_view suffix(name.data() + dash + 1, name.size() - dash - 1);
                const bool hash =
                    suffix.size() == 10 && std::all_of(suffix.begin(), suffix.end(), [](char c) {
                      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
                    });
                if (hash) dep_name = name.substr(0, dash);
              }
            }
            {
              std::shared_lock lock(mu_);
              if (auto it = replicasets_.find(uid); it != replicasets_.end()) {
                if (!config_.extract.deployment_name_from_replicaset) dep_name = it->second.deployment_name;
                dep_uid = it->second.deployment_uid;
              }
            }
            if (m.deployment_name && !dep_name.empty()) Set(tags, "k8s.deployment.name", dep_name);
            if (m.deployment_uid && !dep_uid.empty()) Set(tags, "k8s.deployment.uid", dep_uid);
          }
        } else if (kind == "DaemonSet") {
          if (m.daemonset_uid) Set(tags, "k8s.daemonset.uid", uid);
          if (m.daemonset_name) Set(tags, "k8s.daemonset.name", name);
        } else if (kind == "StatefulSet") {
          if (m.statefulset_uid) Set(tags, "k8s.statefulset.uid", uid);
          if (m.statefulset_name) Set(tags, "k8s.statefulset.name", name);
        } else if (kind == "Job") {
          if (m.job_uid) Set(tags, "k8s.job.uid", uid);
          if (m.job_name) Set(tags, "k8s.job.name", name);
          if (m.cronjob_name) {
            // A CronJob's Job is named <cronjob>-<scheduled time>.
            const auto dash = name.rfind('-');
            if (dash != std::string::npos && dash + 1 < name.size() &&
                std::all_of(name.begin() + static_cast<long>(dash) + 1, name.end(),
                            [](char c) { return c >= '0' && c <= '9'; })) {
              Set(tags, "k8s.cronjob.name", name.substr(0, dash));
            }
          }
        }
      }
    }
  }
  if (m.node_name) Set(tags, "k8s.node.name", pod.node_name);
  if (m.cluster_uid) {
    std::shared_lock lock(mu_);
    if (auto it = namespaces_.find("kube-system"); it != namespaces_.end())
      Set(tags, "k8s.cluster.uid", it->second->uid);
  }
  const auto labels = StringMap(o, "labels");
  for (const FieldRule& r : config_.extract.labels)
    if (r.from == From::kPod) ApplyRule(r, labels, "pod", "labels", tags);
  const auto annotations = StringMap(o, "annotations");
  for (const FieldRule& r : config_.extract.annotations)
    if (r.from == From::kPod) ApplyRule(r, annotations, "pod", "annotations", tags);
  if (config_.extract.otel_annotations) {
    constexpr std::string_view kPrefix = "resource.opentelemetry.io/";
    for (const auto& [k, v] : annotations)
      if (k.starts_with(kPrefix) && k.size() > kPrefix.size())
        Set(tags, std::string(k.substr(kPrefix.size())), std::string(v));
  }
  return tags;
}

void PodStore::ContainersFromJson(element o, Pod& pod) const {
  const Metadata& m = config_.extract.metadata;
  std::map<std::string, std::shared_ptr<Container>> by_name;
  std::map<std::string, std::shared_ptr<Container>> by_id;
  if (m.container_image_name || m.container_image_tag) {
    for (const char* list : {"containers", "initContainers"}) {
      simdjson::dom::array specs;
      if (o["spec"][list].get(specs)) continue;
      for (element spec : specs) {
        auto c = std::make_shared<Container>();
        std::string name, tag;
        if (ParseImage(Str(spec, "image"), &name, &tag)) {
          if (m.container_image_name) c->image_name = name;
          if (m.container_image_tag) c->image_tag = tag;
        }
        by_name[Str(spec, "name")] = c;
      }
    }
  }
  for (const char* list : {"containerStatuses", "initContainerStatuses"}) {
    simdjson::dom::array statuses;
    if (o["status"][list].get(statuses)) continue;
    for (element st : statuses) {
      const std::string name = Str(st, "name");
      auto& c = by_name[name];
      if (!c) c = std::make_shared<Container>();
      if (m.container_name) c->name = name;
      std::string id = Str(st, "containerID");
      if (const auto sep = id.find("://"); sep != std::string::npos) id.erase(0, sep + 3);
      by_id[id] = c;
      if (m.container_id || m.container_image_repo_digests) {
        ContainerStatus s;
        if (m.container_id) s.container_id = id;
        if (m.container_image_repo_digests) s.repo_digest = CanonicalImageRef(Str(st, "imageID"));
        std::int64_t restarts = 0;
        if (st["restartCount"].get(restarts)) {
        }
        c->statuses[static_cast<int>(restarts)] = std::move(s);
      }
    }
  }
  for (auto& [k, v] : by_name) pod.by_name[k] = v;
  for (auto& [k, v] : by_id) pod.by_id[k] = v;
}

std::shared_ptr<Pod> PodStore::PodFromJson(element o) const {
  auto pod = std::make_shared<Pod>();
  pod->name = Str(o["metadata"], "name");
  pod->namespace_ = Str(o["metadata"], "namespace");
  pod->uid = Str(o["metadata"], "uid");
  pod->node_name = Str(o["spec"], "nodeName");
  pod->address = Str(o["status"], "podIP");
  pod->start_time = Str(o["status"], "startTime");
  if (o["spec"]["hostNetwork"].get(pod->host_network)) {
  }
  std::string_view ignore;
  if (!o["metadata"]["annotations"]["opentelemetry.io/k8s-processor/ignore"].get(ignore) &&
      AsciiLower(TrimAsciiSpace(ignore)) == "true") {
    pod->ignore = true;
  }
  for (const auto& re : config_.exclude_pods) {
    if (re2::RE2::PartialMatch(pod->name, *re)) pod->ignore = true;
  }
  if (!pod->ignore) {
    pod->attributes = PodAttributes(o, *pod);
    if (config_.extract.metadata.NeedsContainers()) ContainersFromJson(o, *pod);
  }
  return pod;
}

std::vector<PodKey> PodStore::Identifiers(const Pod& pod) const {
  std::vector<PodKey> ids;
  for (const Association& assoc : config_.associations) {
    // A container.id source yields one identifier per container.
    std::vector<PodKey> keys(1);
    bool skip = false;
    for (const AssociationSource& s : assoc) {
      if (s.from == "connection") {
        if (pod.address.empty() || pod.host_network) {
          skip = true;
          break;
        }
        for (PodKey& k : keys) k.Add("connection", "", pod.address);
        continue;
      }
      if (s.name == "container.id") {
        std::vector<PodKey> expanded;
        for (const PodKey& k : keys) {
          for (const auto& [id, c] : pod.by_id) {
            PodKey copy = k;
            copy.Add("resource_attribute", s.name, id);
            expanded.push_back(std::move(copy));
          }
        }
        keys = std::move(expanded);
        if (keys.empty()) skip = true;
        if (skip) break;
        continue;
      }
      std::string value;
      if (s.name == "k8s.namespace.name")
        value = pod.namespace_;
      else if (s.name == "k8s.pod.name")
        value = pod.name;
      else if (s.name == "k8s.pod.uid")
        value = pod.uid;
      else if (s.name == "host.name" || s.name == "k8s.pod.ip")
        value = pod.address;
      else {
        for (const auto& [k, v] : pod.attributes)
          if (k == s.name) value = v;
      }
      if (value.empty()) {
        skip = true;
        break;
      }
      for (PodKey& k : keys) k.Add("resource_attribute", s.name, value);
    }
    if (!skip) ids.insert(ids.end(), keys.begin(), keys.end());
  }
  // Always findable by uid, by connection IP and by k8s.pod.ip (otelcol's
  // backward compatibility, and what the default association uses).
  if (!pod.uid.empty()) {
    PodKey k;
    k.Add("resource_attribute", "k8s.pod.uid", pod.uid);
    ids.push_back(std::move(k));
  }
  if (!pod.address.empty() && !pod.host_network) {
    PodKey c;
    c.Add("connection", "", pod.address);
    ids.push_back(std::move(c));
    PodKey ip;
    ip.Add("resource_attribute", "k8s.pod.ip", pod.address);
    ids.push_back(std::move(ip));
  }
  return ids;
}

void PodStore::AddOrUpdate(const std::shared_ptr<const Pod>& pod) {
  const std::vector<PodKey> ids = Identifiers(*pod);
  std::unique_lock lock(mu_);
  for (const PodKey& id : ids) {
    auto it = pods_.find(id.str());
    // A pod that started earlier does not take an identifier (an IP) from
    // one that started later: its update may arrive after the new pod's add.
    if (it != pods_.end() && !pod->start_time.empty() && !it->second->start_time.empty() &&
        pod->start_time < it->second->start_time) {
      continue;
    }
    if (it != pods_.end()) {
      it->second = pod;
    } else {
      pods_.emplace(id.str(), pod);
    }
  }
}

void PodStore::Forget(const Pod& pod) {
  const std::vector<PodKey> ids = Identifiers(pod);
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  for (const PodKey& id : ids) {
    auto it = pods_.find(id.str());
    if (it != pods_.end() && it->second->uid == pod.uid) delete_queue_.push_back({id.str(), pod.uid, now});
  }
}

void PodStore::OnPod(element o, int what) {
  std::shared_ptr<Pod> pod = PodFromJson(o);
  if (what == kDelete) {
    pods_deleted_.fetch_add(1, std::memory_order_relaxed);
    Forget(*pod);
    return;
  }
  if (what == kListed) listed_pods_[pod->uid] = pod;
  bool known;
  {
    std::shared_lock lock(mu_);
    PodKey k;
    k.Add("resource_attribute", "k8s.pod.uid", pod->uid);
    known = pods_.count(k.str()) > 0;
  }
  (known ? pods_updated_ : pods_added_).fetch_add(1, std::memory_order_relaxed);
  AddOrUpdate(pod);
}

void PodStore::EndPods() {
  // Pods that were not listed were deleted while no watch ran.
  std::vector<std::shared_ptr<const Pod>> gone;
  {
    std::shared_lock lock(mu_);
    std::unordered_set<std::string> seen;
    for (const auto& [key, pod] : pods_) {
      if (!listed_pods_.count(pod->uid) && seen.insert(pod->uid).second) gone.push_back(pod);
    }
  }
  for (const auto& pod : gone) {
    pods_deleted_.fetch_add(1, std::memory_order_relaxed);
    Forget(*pod);
  }
  listed_pods_.clear();
}

template <class Table, class Make>
void PodStore::Apply(Table& table, const std::string& key, int what, std::unordered_set<std::string>& listed,
                     Make make) {
  if (key.empty()) return;
  std::unique_lock lock(mu_, std::defer_lock);
  if (what == kDelete) {
    lock.lock();
    table.erase(key);
    return;
  }
  if (what == kListed) listed.insert(key);
  auto value = make();
  lock.lock();
  table[key] = std::move(value);
}

template <class Table>
void PodStore::Sweep(Table& table, std::unordered_set<std::string>& listed) {
  std::unique_lock lock(mu_);
  std::erase_if(table, [&](const auto& kv) { return !listed.count(kv.first); });
  listed.clear();
}

void PodStore::OnNamed(element o, int what, From from, NamedObjects& table,
                       std::unordered_set<std::string>& listed) {
  Apply(table, Str(o["metadata"], "name"), what, listed, [&] {
    auto object = std::make_shared<ObjectAttributes>();
    object->uid = Str(o["metadata"], "uid");
    object->attributes = ObjectAttrs(o, from);
    return std::shared_ptr<const ObjectAttributes>(std::move(object));
  });
}

void PodStore::OnNamespace(element o, int what) {
  OnNamed(o, what, From::kNamespace, namespaces_, listed_other_);
}

void PodStore::EndNamespaces() { Sweep(namespaces_, listed_other_); }

void PodStore::OnNode(element o, int what) { OnNamed(o, what, From::kNode, nodes_, listed_other_nodes_); }

void PodStore::EndNodes() { Sweep(nodes_, listed_other_nodes_); }

void PodStore::OnReplicaSet(element o, int what) {
  Apply(replicasets_, Str(o["metadata"], "uid"), what, listed_rs_, [&] {
    ReplicaSet rs;
    simdjson::dom::array owners;
    if (!o["metadata"]["ownerReferences"].get(owners)) {
      for (element ref : owners) {
        bool controller = false;
        if (ref["controller"].get(controller)) {
        }
        if (Str(ref, "kind") == "Deployment" && controller) {
          rs.deployment_name = Str(ref, "name");
          rs.deployment_uid = Str(ref, "uid");
          break;
        }
      }
    }
    return rs;
  });
}

void PodStore::EndReplicaSets() { Sweep(replicasets_, listed_rs_); }

std::shared_ptr<const Pod> PodStore::GetPod(const PodKey& key) const {
  {
    std::shared_lock lock(mu_);
    auto it = pods_.find(key.str());
    if (it != pods_.end()) return it->second->ignore ? nullptr : it->second;
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

std::shared_ptr<const ObjectAttributes> PodStore::GetNamespace(const std::string& name) const {
  std::shared_lock lock(mu_);
  auto it = namespaces_.find(name);
  return it == namespaces_.end() ? nullptr : it->second;
}

std::shared_ptr<const ObjectAttributes> PodStore::GetNode(const std::string& name) const {
  std::shared_lock lock(mu_);
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : it->second;
}

void PodStore::PurgeDeleted(std::chrono::steady_clock::time_point now) {
  std::unique_lock lock(mu_);
  std::size_t cut = 0;
  while (cut < delete_queue_.size() && delete_queue_[cut].at + options_.delete_grace <= now) ++cut;
  for (std::size_t i = 0; i < cut; ++i) {
    const DeleteRequest& d = delete_queue_[i];
    auto it = pods_.find(d.key);
    // The identifier may belong to a newer pod by now (an IP reused).
    if (it != pods_.end() && it->second->uid == d.pod_uid) pods_.erase(it);
  }
  delete_queue_.erase(delete_queue_.begin(), delete_queue_.begin() + static_cast<long>(cut));
}

std::size_t PodStore::pod_table_size() const {
  std::shared_lock lock(mu_);
  return pods_.size();
}

}  // namespace otlpd::processors::k8sattributes
