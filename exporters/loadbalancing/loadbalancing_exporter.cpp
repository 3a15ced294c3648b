#include "exporters/loadbalancing/loadbalancing_exporter.h"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "exporters/loadbalancing/k8s_resolver.h"
#include "exporters/otlp/otlp_exporter.h"

namespace otlpd::exporters::loadbalancing {
namespace {

// How long a backend that leaves the resolved set may go on delivering what
// it holds before the rest is handed back for re-routing.
constexpr std::chrono::seconds kRetireGrace{5};

// The re-routing attempt number (RerouteDelay: 1.6 s) given to data handed
// back while every backend is passed over.
constexpr int kAllFailedAttempts = 6;

// Waits between re-routing attempts of a payload nobody could take.
std::chrono::milliseconds RerouteDelay(int attempts) {
  if (attempts <= 0) return std::chrono::milliseconds(0);
  const int shift = std::min(attempts - 1, 7);
  return std::min(std::chrono::milliseconds(50 << shift), std::chrono::milliseconds(5000));
}

}  // namespace

struct LoadBalancingExporter::Backend {
  std::string endpoint;          // host:port as dialled
  ComponentTelemetry telemetry;  // its own counters, not published (contrib: no-op meter)
  std::atomic<Clock::rep> passed_over_until{Clock::time_point::min().time_since_epoch().count()};
  // Last, so that it is destroyed first: its shutdown may still hand data
  // back, which reads the members above.
  std::unique_ptr<otlp::OtlpExporter> exporter;

  bool PassedOver(Clock::time_point now) const {
    return now.time_since_epoch().count() < passed_over_until.load(std::memory_order_relaxed);
  }
};

LoadBalancingExporter::LoadBalancingExporter(std::string id, Config config, ComponentTelemetry* telemetry,
                                             ExporterOptions options)
    : id_(std::move(id)), config_(std::move(config)), telemetry_(telemetry), options_(std::move(options)) {
  for (Signal s : kAllSignals) {
    std::string unused;
    keys_[SignalIndex(s)] = config_.KeyFor(s, &unused);
  }
  if (config_.static_resolver) {
    lb_telemetry_->resolver = "static";
    resolver_ = std::make_unique<StaticResolver>(config_.static_resolver->hostnames, lb_telemetry_.get());
  } else if (config_.dns_resolver) {
    lb_telemetry_->resolver = "dns";
    resolver_ =
        std::make_unique<DnsResolver>(*config_.dns_resolver, lb_telemetry_.get(), options_.dns_servers);
  } else if (config_.k8s_resolver) {
    lb_telemetry_->resolver = "k8s";
    resolver_ = std::make_unique<K8sResolver>(*config_.k8s_resolver, lb_telemetry_.get());
  }
  telemetry_->metrics = [t = lb_telemetry_] { return t->Collect(); };
  const exporterhelper::Config& h = config_.helper;
  if (h.sending_queue.enabled || h.retry_on_failure.enabled || h.timeout.count() > 0) {
    sender_ = std::make_unique<exporterhelper::QueuedRetrySender>(
        id_, h,
        [this](const PayloadPtr& p, Clock::time_point) {
          Status s = Dispatch(p);
          return s.ok() ? exporterhelper::SendResult::Ok() : exporterhelper::SendResult::Failed(std::move(s));
        },
        telemetry_);
  }
}

LoadBalancingExporter::~LoadBalancingExporter() { Shutdown(Clock::now()); }

Status LoadBalancingExporter::Start() {
  if (resolver_ == nullptr) return Status::InvalidArgument("exporter " + id_ + ": no usable resolver");
  if (sender_) {
    if (Status s = sender_->Start(); !s.ok()) return s;
  }
  rerouter_ = std::thread([this] { RerouteLoop(); });
  started_ = true;
  return resolver_->Start([this](const std::vector<std::string>& resolved) { OnBackendsChanged(resolved); });
}

std::shared_ptr<LoadBalancingExporter::Backend> LoadBalancingExporter::MakeBackend(
    const std::string& endpoint) {
  auto b = std::make_shared<Backend>();
  b->endpoint = endpoint;
  b->telemetry.kind = "exporter";
  b->telemetry.id = id_ + "/" + endpoint;
  exporterhelper::SenderOptions so;
  Backend* raw = b.get();  // the exporter is the backend's own: the pointer outlives every call
  so.hand_off = [this, raw](const PayloadPtr& p) { return HandOff(raw, p); };
  b->exporter = std::make_unique<otlp::OtlpExporter>(
      id_ + "[" + endpoint + "]", config_.BackendConfig(endpoint), &b->telemetry, std::move(so));
  return b;
}

bool LoadBalancingExporter::HandOff(Backend* backend, const PayloadPtr& payload) {
  if (closing_.load(std::memory_order_acquire)) return false;
  const Clock::time_point now = Clock::now();
  if (!backend->PassedOver(now)) {
    spdlog::warn("exporter {}: backend {} failed; passing it over for {} ms, its data is routed again", id_,
                 backend->endpoint, options_.failover_cooldown.count());
  }
  const Clock::time_point until = now + options_.failover_cooldown;
  backend->passed_over_until.store(until.time_since_epoch().count(), std::memory_order_relaxed);
  // With another backend to turn to, at once; when every one has failed,
  // after a pause, so that a dead tier is not hammered in a tight loop.
  bool alternative = false;
  if (std::shared_ptr<const RingState> state = Snapshot()) {
    for (const auto& b : state->backends) alternative |= !b->PassedOver(now);
  }
  Park(payload, alternative ? 0 : kAllFailedAttempts);
  return true;
}

void LoadBalancingExporter::OnBackendsChanged(const std::vector<std::string>& resolved) {
  HashRing ring(resolved);
  {
    std::shared_ptr<const RingState> current = Snapshot();
    if (current && current->ring == ring) return;
  }
  std::lock_guard<std::mutex> lock(backends_mu_);
  if (closing_.load(std::memory_order_acquire)) return;
  auto state = std::make_shared<RingState>();
  std::set<std::string> wanted;
  for (const std::string& e : ring.endpoints()) {
    const std::string endpoint = EndpointWithPort(e);
    wanted.insert(endpoint);
    auto it = backends_.find(endpoint);
    if (it == backends_.end()) {
      std::shared_ptr<Backend> b = MakeBackend(endpoint);
      if (Status s = b->exporter->Start(); !s.ok()) {
        spdlog::error("exporter {}: failed to start the exporter for endpoint {}: {}; passing it over", id_,
                      endpoint, s.message());
        // It would refuse everything: its share goes to the ring's next backends.
        b->passed_over_until.store(Clock::time_point::max().time_since_epoch().count(),
                                   std::memory_order_relaxed);
      }
      it = backends_.emplace(endpoint, std::move(b)).first;
    }
    state->backends.push_back(it->second);
  }
  state->ring = std::move(ring);
  {
    std::lock_guard<std::mutex> s(state_mu_);
    state_ = std::move(state);
  }
  for (auto it = backends_.begin(); it != backends_.end();) {
    if (wanted.count(it->first) != 0) {
      ++it;
      continue;
    }
    spdlog::info("exporter {}: backend {} left the resolved set", id_, it->first);
    // Shut down aside, as contrib does, so the resolver is not held up; what
    // it cannot deliver in time is handed back and routed again.
    retiring_.emplace_back([b = it->second] { b->exporter->Shutdown(Clock::now() + kRetireGrace); });
    it = backends_.erase(it);
  }
}

std::shared_ptr<const LoadBalancingExporter::RingState> LoadBalancingExporter::Snapshot() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return state_;
}

std::vector<std::string> LoadBalancingExporter::backends() const {
  std::vector<std::string> out;
  if (auto s = Snapshot()) {
    for (const auto& b : s->backends) out.push_back(b->endpoint);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t LoadBalancingExporter::pending() const {
  std::lock_guard<std::mutex> lock(pending_mu_);
  return pending_.size() + static_cast<std::size_t>(rerouting_);
}

Status LoadBalancingExporter::Dispatch(const PayloadPtr& payload) {
  std::shared_ptr<const RingState> state = Snapshot();
  if (!state || state->ring.empty()) {
    return Status::Unavailable("exporter " + id_ + ": no backends resolved yet");
  }
  const std::optional<RoutingKey> key = keys_[SignalIndex(payload->signal)];
  if (!key) return Status::InvalidArgument("exporter " + id_ + ": routing_key not supported for this signal");
  RouteOptions ro;
  ro.signal = payload->signal;
  ro.key = *key;
  ro.attributes = config_.routing_attributes;
  const Clock::time_point now = Clock::now();
  auto skip = [&](std::uint32_t e) { return state->backends[e]->PassedOver(now); };
  Result<RouteResult> routed =
      Route(ro, payload->bytes, [&](std::string_view id) { return state->ring.EndpointFor(id, skip); });
  if (!routed.ok()) return routed.status();
  if (routed->dropped_items > 0) {
    SignalCounters::Add((*telemetry_)[payload->signal].send_failed, routed->dropped_items);
    spdlog::error("exporter {}: failed to export metric: unable to get service name from {} data point(s)",
                  id_, routed->dropped_items);
    if (routed->parts.empty()) {
      return Status::InvalidArgument("unable to get service name from resource metrics");
    }
  }
  bool any_taken = false;
  Status permanent;
  std::vector<PayloadPtr> refused;
  for (Part& part : routed->parts) {
    PayloadPtr share = routed->whole ? payload : DerivePayload(*payload, std::move(part.bytes), part.items);
    Backend& b = *state->backends[static_cast<std::size_t>(part.destination)];
    const Clock::time_point start = Clock::now();
    Status s = b.exporter->Consume(share);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    LbTelemetry::Backend& bt = lb_telemetry_->For(b.endpoint);
    bt.latency.Record(static_cast<std::uint64_t>(ms));
    (s.ok() ? bt.ok : bt.failed).fetch_add(1, std::memory_order_relaxed);
    if (s.ok()) {
      any_taken = true;
    } else if (s.retryable()) {
      refused.push_back(std::move(share));
    } else {
      // Refused for good by the backend's exporter, which counted and logged it.
      any_taken = true;
      permanent = s;
    }
  }
  if (!refused.empty()) {
    if (!any_taken) return Status::Unavailable("exporter " + id_ + ": no backend could take the data");
    for (PayloadPtr& p : refused) Park(std::move(p), 1);
  }
  return permanent;
}

void LoadBalancingExporter::Park(PayloadPtr payload, int attempts) {
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    pending_.push_back(Pending{std::move(payload), Clock::now() + RerouteDelay(attempts), attempts});
  }
  pending_cv_.notify_all();
}

void LoadBalancingExporter::RerouteLoop() {
  std::unique_lock<std::mutex> lock(pending_mu_);
  while (!stop_reroute_) {
    if (pending_.empty()) {
      pending_cv_.wait(lock);
      continue;
    }
    auto next = std::min_element(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) {
      return a.not_before < b.not_before;
    });
    if (next->not_before > Clock::now()) {
      pending_cv_.wait_until(lock, next->not_before);
      continue;
    }
    Pending item = std::move(*next);
    pending_.erase(next);
    ++rerouting_;
    lock.unlock();
    Status s = Dispatch(item.payload);
    lock.lock();
    --rerouting_;
    if (!s.ok()) {
      if (s.retryable()) {
        pending_.push_back(
            Pending{item.payload, Clock::now() + RerouteDelay(item.attempts + 1), item.attempts + 1});
      } else {
        SignalCounters::Add((*telemetry_)[item.payload->signal].send_failed, item.payload->items);
        spdlog::error("exporter {}: dropping {} {} that could not be routed again: {}", id_,
                      item.payload->items, ItemNoun(item.payload->signal), s.message());
      }
    }
    pending_cv_.notify_all();
  }
}

Status LoadBalancingExporter::Consume(const PayloadPtr& payload) {
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    if (pending_.size() >= options_.max_pending) {
      SignalCounters::Add((*telemetry_)[payload->signal].enqueue_failed, payload->items);
      return Status::Unavailable("exporter " + id_ + ": " + std::to_string(pending_.size()) +
                                 " request(s) wait to be routed again; try later");
    }
  }
  if (sender_) return sender_->Consume(payload);
  Status s = Dispatch(payload);
  if (s.ok()) {
    SignalCounters::Add((*telemetry_)[payload->signal].sent, payload->items);
  } else if (!s.retryable()) {
    SignalCounters::Add((*telemetry_)[payload->signal].send_failed, payload->items);
  }
  return s;
}

void LoadBalancingExporter::BeginShutdown(Clock::time_point deadline) {
  if (sender_) sender_->BeginShutdown(deadline);
  std::vector<std::shared_ptr<Backend>> all;
  {
    std::lock_guard<std::mutex> lock(backends_mu_);
    for (auto& [endpoint, b] : backends_) all.push_back(b);
  }
  for (auto& b : all) b->exporter->BeginShutdown(deadline);
}

void LoadBalancingExporter::Shutdown(Clock::time_point deadline) {
  if (shut_down_) return;
  shut_down_ = true;
  if (resolver_) resolver_->Shutdown();
  if (sender_) sender_->Shutdown(deadline);
  {
    // What waits to be routed again goes out while the backends still run.
    std::unique_lock<std::mutex> lock(pending_mu_);
    pending_cv_.wait_until(lock, deadline, [this] { return pending_.empty() && rerouting_ == 0; });
    stop_reroute_ = true;
  }
  pending_cv_.notify_all();
  if (rerouter_.joinable()) rerouter_.join();
  closing_.store(true, std::memory_order_release);
  std::vector<std::shared_ptr<Backend>> all;
  std::vector<std::thread> retiring;
  {
    std::lock_guard<std::mutex> lock(backends_mu_);
    for (auto& [endpoint, b] : backends_) all.push_back(b);
    backends_.clear();
    retiring.swap(retiring_);
  }
  for (std::thread& t : retiring) t.join();
  for (auto& b : all) b->exporter->Shutdown(deadline);
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    state_.reset();
  }
  std::lock_guard<std::mutex> lock(pending_mu_);
  std::uint64_t lost = 0;
  for (const Pending& p : pending_) {
    lost += p.payload->items;
    SignalCounters::Add((*telemetry_)[p.payload->signal].send_failed, p.payload->items);
  }
  if (!pending_.empty()) {
    spdlog::error(
        "exporter {}: shutdown deadline passed with {} request(s) ({} items) still to be routed; dropped",
        id_, pending_.size(), lost);
  }
  pending_.clear();
}

}  // namespace otlpd::exporters::loadbalancing
