#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "component/telemetry.h"
#include "internal/status.h"
#include "service/telemetry/config.h"
#include "service/telemetry/otlp_metrics_push.h"
#include "service/telemetry/prometheus_text.h"

namespace otlpd::http {
class SimpleHttpServer;
}

namespace otlpd::selftelemetry {

// otlpd's internal metrics in Prometheus text format on every configured
// pull reader's /metrics, named as otelcol's. It lives for the whole process
// and outlasts reloads: each new Service becomes its source, and what the
// previous one counted is carried over, so counters never go backwards.
class MetricsEndpoint {
 public:
  explicit MetricsEndpoint(Labels resource);
  ~MetricsEndpoint();

  // Applies service.telemetry.metrics: servers start, stop or move only where
  // the readers changed. A reader that cannot listen is an error, except
  // otelcol's implicit default one on localhost:8888, which only warns:
  // several otlpd on one host (sidecars with host networking, test runs)
  // would otherwise fight over that port without anyone having asked for it.
  Status Apply(const MetricsConfig& config,
               std::chrono::milliseconds bind_retry = std::chrono::milliseconds(0));
  void SetResource(Labels resource);
  // The resource of OTLP pushes (periodic readers), with OTel attribute names.
  void SetPushResource(Attributes resource);

  // From now on scrapes read `telemetry` (nullptr: process metrics only). The
  // previous source's final counts are folded in first, so call this after
  // the previous Service has shut down and before it is destroyed.
  void SetSource(const Telemetry* telemetry, Wiring wiring);

  // The page one reader serves (readers differ in naming options).
  std::string Scrape(const TextOptions& options) const;
  std::string Scrape() const { return Scrape(TextOptions{true, true, resource()}); }
  // What a scrape or a push reports: otelcol's families, counters carried
  // across reloads (empty at level none).
  std::vector<Family> Collect() const;
  // The running periodic (push) readers, in config order.
  std::size_t pushers() const;
  // Exports once on every push reader now (tests).
  Status PushNow();

  // The bound port of each running reader, in config order.
  std::vector<int> ports() const;

  void Stop();

 private:
  struct Server;
  Labels resource() const;

  mutable std::mutex mu_;  // guards everything below but servers_
  const Telemetry* source_ = nullptr;
  Wiring wiring_;
  MetricsLevel level_ = MetricsLevel::kNormal;
  CounterCarry carry_;
  Labels resource_;

  // Guards servers_. Scrapes (on the servers' io threads) take mu_ only, so
  // stopping a server while holding this lock cannot deadlock.
  mutable std::mutex servers_mu_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<std::unique_ptr<MetricsPusher>> pushers_;  // guarded by servers_mu_
  Attributes push_resource_;                             // guarded by mu_
};

}  // namespace otlpd::selftelemetry
