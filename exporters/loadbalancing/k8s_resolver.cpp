#include "exporters/loadbalancing/k8s_resolver.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

namespace otlpd::exporters::loadbalancing {

K8sResolver::K8sResolver(K8sResolverConfig config, LbTelemetry* telemetry, Options options)
    : config_(std::move(config)), telemetry_(telemetry), options_(std::move(options)) {
  const auto dot = config_.service.find('.');
  name_ = config_.service.substr(0, dot);
  if (dot != std::string::npos) {
    namespace_ = config_.service.substr(dot + 1);
  } else {
    std::ifstream in(options_.namespace_file);
    std::ostringstream s;
    s << in.rdbuf();
    namespace_ = in ? s.str() : "";
    if (namespace_.empty()) {
      spdlog::warn(
          "loadbalancing k8s resolver: could not determine the namespace for this collector, will use "
          "\"default\" as the namespace");
      namespace_ = "default";
    }
  }
}

K8sResolver::~K8sResolver() { Shutdown(); }

Status K8sResolver::Start(OnChange on_change) {
  on_change_ = std::move(on_change);
  // client-go's default config: $KUBECONFIG, in-cluster, ~/.kube/config.
  k8s::ApiConfig api;
  const char* kubeconfig = std::getenv("KUBECONFIG");
  const char* in_cluster = std::getenv("KUBERNETES_SERVICE_HOST");
  api.auth_type = (kubeconfig != nullptr && *kubeconfig != '\0') || in_cluster == nullptr
                      ? k8s::AuthType::kKubeConfig
                      : k8s::AuthType::kServiceAccount;
  Result<k8s::Endpoint> endpoint = k8s::Resolve(api, options_.in_cluster);
  if (!endpoint.ok())
    return Status::InvalidArgument("loadbalancing k8s resolver: " + endpoint.status().message());
  k8s::ReflectorOptions ro = options_.reflector;
  // contrib lists and watches with timeoutSeconds = `timeout`.
  ro.watch_timeout = std::chrono::duration_cast<std::chrono::seconds>(config_.timeout);
  if (ro.watch_timeout->count() <= 0) ro.watch_timeout = std::chrono::seconds(1);
  reflector_ =
      std::make_unique<k8s::Reflector>("endpointslices of " + name_ + "." + namespace_, *endpoint,
                                       k8s::WatchTarget{"/apis/discovery.k8s.io/v1/namespaces/" +
                                                            k8s::QueryEscape(namespace_) + "/endpointslices",
                                                        "kubernetes.io/service-name=" + name_, ""},
                                       static_cast<k8s::ObjectSink&>(*this), ro);
  reflector_->Start();
  if (!reflector_->WaitForSync(
          std::chrono::steady_clock::now() +
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(config_.timeout))) {
    reflector_->Stop();
    return Status::Unavailable(
        "loadbalancing k8s resolver: endpoints informer not sync (no list of the "
        "EndpointSlices of " +
        name_ + "." + namespace_ + " within the timeout)");
  }
  return Status::Ok();
}

void K8sResolver::Shutdown() {
  if (reflector_) reflector_->Stop();
}

std::set<std::string> K8sResolver::Addresses(simdjson::dom::element slice, bool* ok) const {
  std::set<std::string> out;
  *ok = true;
  simdjson::dom::array endpoints;
  if (slice["endpoints"].get(endpoints)) return out;
  for (simdjson::dom::element ep : endpoints) {
    // Only ready endpoints serve (Endpoints' `addresses`, not `notReadyAddresses`).
    bool ready = true;
    if (ep["conditions"]["ready"].get(ready)) ready = true;
    if (!ready) continue;
    simdjson::dom::array addresses;
    if (ep["addresses"].get(addresses)) continue;
    std::string_view hostname;
    const bool has_hostname = !ep["hostname"].get(hostname) && !hostname.empty();
    for (simdjson::dom::element a : addresses) {
      std::string_view addr;
      if (a.get(addr)) continue;
      if (config_.return_hostnames) {
        if (!has_hostname) {
          *ok = false;
          return {};
        }
        out.insert(std::string(hostname) + "." + name_ + "." + namespace_);
      } else {
        out.insert(std::string(addr));
      }
    }
  }
  return out;
}

void K8sResolver::BeginList() {
  std::lock_guard<std::mutex> lock(mu_);
  listing_.clear();
}

void K8sResolver::Store(simdjson::dom::element slice, bool listing) {
  bool ok;
  std::set<std::string> addrs = Addresses(slice, &ok);
  std::string_view name;
  if (slice["metadata"]["name"].get(name)) return;
  if (!ok) {
    telemetry_->resolutions_failed.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("loadbalancing k8s resolver: Endpoints object missing hostnames");
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  (listing ? listing_ : slices_)[std::string(name)] = std::move(addrs);
  if (!listing) Announce();
}

void K8sResolver::Listed(simdjson::dom::element slice) { Store(slice, true); }

void K8sResolver::EndList() {
  std::lock_guard<std::mutex> lock(mu_);
  slices_ = std::move(listing_);
  listing_.clear();
  Announce();
}

void K8sResolver::Upsert(simdjson::dom::element slice) { Store(slice, false); }

void K8sResolver::Delete(simdjson::dom::element slice) {
  std::string_view name;
  if (slice["metadata"]["name"].get(name)) return;
  std::lock_guard<std::mutex> lock(mu_);
  slices_.erase(std::string(name));
  Announce();
}

void K8sResolver::Announce() {
  telemetry_->resolutions_ok.fetch_add(1, std::memory_order_relaxed);
  std::set<std::string> all;
  for (const auto& [slice, addrs] : slices_) all.insert(addrs.begin(), addrs.end());
  std::vector<std::string> backends;
  for (const std::string& a : all) {
    if (config_.ports.empty()) {
      backends.push_back(a);
      continue;
    }
    const bool v6 = a.find(':') != std::string::npos;
    for (std::int64_t port : config_.ports)
      backends.push_back((v6 ? "[" + a + "]" : a) + ":" + std::to_string(port));
  }
  if (!backends_.Update(std::move(backends), *telemetry_)) return;
  spdlog::info("loadbalancing k8s resolver: service {}.{} has {} backend(s)", name_, namespace_,
               backends_.list().size());
  if (on_change_) on_change_(backends_.list());
}

}  // namespace otlpd::exporters::loadbalancing
