#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "component/factory.h"
#include "config/loader.h"
#include "config/node.h"
#include "internal/status.h"
#include "service/service.h"
#include "service/telemetry/config.h"
#include "service/telemetry/metrics_endpoint.h"
#include "service/telemetry/prometheus_text.h"
#include "service/telemetry/resource.h"

namespace otlpd {

// What the collector takes from the command line and the binary.
struct CollectorSettings {
  config::LoadOptions load;
  std::chrono::nanoseconds shutdown_timeout = std::chrono::seconds(20);
  Components components;
  std::string version;
};

// Everything one config describes, decoded and built, nothing bound or started.
struct Loaded {
  config::Node root;
  selftelemetry::TelemetryConfig telemetry;
  selftelemetry::Wiring wiring;
  std::unique_ptr<Service> service;
};

// Throws config::Error (located, with the key path) for anything invalid.
Loaded LoadConfig(const config::LoadOptions& options, const Components& components);

// The running collector: one Service at a time, plus what outlives reloads
// (the metrics endpoint, the instance id).
class Collector {
 public:
  explicit Collector(CollectorSettings settings)
      : settings_(std::move(settings)),
        instance_id_(selftelemetry::NewInstanceId()),
        metrics_(selftelemetry::Labels{}) {}

  // Applies logging and metrics, then starts `loaded`. False (logged) on failure.
  bool Start(Loaded loaded);

  // Loads and builds the config again. An invalid one is logged and the
  // running pipelines go on untouched. A valid one replaces them: the old
  // Service stops (receivers first, so nothing new is accepted) and drains
  // everything it holds into its exporters within --shutdown-timeout, then
  // the new one starts. Building fully before stopping keeps the gap short.
  // If the new config cannot start, the previous one is started again.
  // False only when neither could start: the process must exit.
  bool Reload(std::string_view why);

  void Shutdown();

 private:
  selftelemetry::Labels Resource(const Loaded& l) const;
  // The same with OTel attribute names, for what is pushed over OTLP.
  selftelemetry::Attributes PushResource(const Loaded& l) const;

  Loaded Rebuild(const config::Node& root) const;

  // Stops the running Service (draining it), then starts `next` in its place.
  // On failure nothing runs.
  Status Replace(Loaded& next);

  // Starts l.service. A Service that failed to start cannot start again, so
  // while `retry` lasts (ports the previous Service held may still be
  // closing) each attempt builds a fresh one from the same root.
  Status StartService(Loaded& l, std::chrono::milliseconds retry);

  const CollectorSettings settings_;
  const std::string instance_id_;
  selftelemetry::MetricsEndpoint metrics_;
  Loaded current_;
};

}  // namespace otlpd
