#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "component/component.h"
#include "component/telemetry.h"
#include "exporters/exporterhelper/queued_retry_sender.h"
#include "exporters/loadbalancing/config.h"
#include "exporters/loadbalancing/resolver.h"
#include "exporters/loadbalancing/ring.h"
#include "exporters/loadbalancing/routing.h"
#include "exporters/loadbalancing/telemetry.h"

namespace otlpd::exporters::otlp {
class OtlpExporter;
}

namespace otlpd::exporters::loadbalancing {

// What tests (and only tests) change.
struct ExporterOptions {
  // DNS servers replacing resolv.conf's, "127.0.0.1:5353" (see LookupIpAddrs).
  std::string dns_servers;
  // How long a backend that could not take data is passed over by new
  // routing decisions before it is tried again.
  std::chrono::milliseconds failover_cooldown = std::chrono::seconds(5);
  // Requests waiting to be re-routed beyond which new data is refused
  // (retryable): back-pressure while backends fail.
  std::size_t max_pending = 1000;
};

// contrib's loadbalancing exporter: each request is split per routing
// identifier on the wire (routing.h), each identifier hashed onto the
// consistent-hash ring (ring.h) of the backends the resolver gives, and each
// backend's share handed to that backend's own otlp exporter (protocol.otlp
// with the backend's endpoint: its queue, retries, TLS, compression).
//
// Beyond contrib, nothing acknowledged is lost when a backend fails: data a
// backend cannot deliver (retries used up, or still queued when the backend
// leaves the resolved set) comes back here, the backend is passed over for
// `failover_cooldown`, and the data is routed again, so that it lands on the
// ring's next choice. A share a backend refuses outright (queue full) waits
// here too and is retried. Only when shutdown's deadline passes is anything
// dropped, and that is counted and logged.
class LoadBalancingExporter : public Exporter {
 public:
  LoadBalancingExporter(std::string id, Config config, ComponentTelemetry* telemetry,
                        ExporterOptions options = {});
  ~LoadBalancingExporter() override;

  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;
  void BeginShutdown(Clock::time_point deadline) override;
  Status Consume(const PayloadPtr& payload) override;
  bool MayBlock() const override { return false; }

  const LbTelemetry& lb_telemetry() const { return *lb_telemetry_; }
  // Endpoints (with port) of the backends now in use, sorted.
  std::vector<std::string> backends() const;
  std::size_t pending() const;

 private:
  struct Backend;
  struct RingState {
    HashRing ring;
    std::vector<std::shared_ptr<Backend>> backends;  // aligned with ring.endpoints()
  };

  void OnBackendsChanged(const std::vector<std::string>& resolved);
  std::shared_ptr<Backend> MakeBackend(const std::string& endpoint);
  std::shared_ptr<const RingState> Snapshot() const;
  // Routes one payload and hands each share to its backend; shares a
  // backend refuses wait in pending_. Unavailable when nothing could be
  // handed on (the caller keeps the payload).
  Status Dispatch(const PayloadPtr& payload);
  bool HandOff(Backend* backend, const PayloadPtr& payload);
  void Park(PayloadPtr payload, int attempts);
  void RerouteLoop();

  const std::string id_;
  const Config config_;
  ComponentTelemetry* const telemetry_;
  const ExporterOptions options_;
  std::array<std::optional<RoutingKey>, 3> keys_;
  // Shared with the self-telemetry's reader, which may outlive this exporter.
  std::shared_ptr<LbTelemetry> lb_telemetry_ = std::make_shared<LbTelemetry>();
  std::unique_ptr<Resolver> resolver_;
  std::unique_ptr<exporterhelper::QueuedRetrySender> sender_;  // LB-level queue/retry, when configured

  mutable std::mutex state_mu_;
  std::shared_ptr<const RingState> state_;
  std::mutex backends_mu_;  // guards backends_ and retiring_ (resolver thread vs shutdown)
  std::map<std::string, std::shared_ptr<Backend>> backends_;
  std::vector<std::thread> retiring_;

  struct Pending {
    PayloadPtr payload;
    Clock::time_point not_before;
    int attempts = 0;
  };
  mutable std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  std::deque<Pending> pending_;
  int rerouting_ = 0;  // payloads the reroute thread holds
  bool stop_reroute_ = false;
  std::atomic<bool> closing_{false};  // backends shutting down: hand-offs are refused
  std::thread rerouter_;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace otlpd::exporters::loadbalancing
