#include "service/collector.h"

#include <spdlog/spdlog.h>

#include <string>
#include <thread>
#include <vector>

#include "config/error.h"
#include "config/service_config.h"
#include "service/telemetry/logging.h"

namespace otlpd {

Loaded LoadConfig(const config::LoadOptions& options, const Components& components) {
  Loaded l;
  std::vector<std::string> warnings;
  l.root = config::Load(options, &warnings);
  for (const auto& w : warnings) spdlog::warn("config: {}", w);
  l.service = Service::Build(l.root, components, {}, options.gates, options.receive_memory_bytes);
  l.telemetry = selftelemetry::DecodeTelemetryConfig(l.root);
  l.wiring = selftelemetry::Wiring::FromConfig(config::DecodeService(l.root));
  return l;
}

// How long a reload waits for ports the old config held (a listener still
// closing, a port in TIME_WAIT) before giving up on the new config.
constexpr auto kReloadBindRetry = std::chrono::seconds(3);

bool Collector::Start(Loaded loaded) {
  if (Status s = selftelemetry::ConfigureLogger(loaded.telemetry.logs, PushResource(loaded)); !s.ok()) {
    spdlog::error("{}", s.message());
    return false;
  }
  spdlog::info("otlpd {} starting ({} pipeline(s), instance {})", settings_.version,
               loaded.service->pipeline_count(), instance_id_);
  metrics_.SetResource(Resource(loaded));
  metrics_.SetPushResource(PushResource(loaded));
  if (Status s = metrics_.Apply(loaded.telemetry.metrics); !s.ok()) {
    spdlog::error("{}", s.message());
    return false;
  }
  metrics_.SetSource(&loaded.service->telemetry(), loaded.wiring);
  if (Status s = StartService(loaded, std::chrono::milliseconds(0)); !s.ok()) {
    spdlog::error("{}", s.message());
    metrics_.SetSource(nullptr, {});  // `loaded` dies with this call
    return false;
  }
  current_ = std::move(loaded);
  return true;
}

bool Collector::Reload(std::string_view why) {
  spdlog::info("{}: reloading the configuration", why);
  Loaded next;
  try {
    next = LoadConfig(settings_.load, settings_.components);
  } catch (const config::Error& e) {
    spdlog::error("reload rejected, the running configuration stays: invalid configuration: {}", e.what());
    return true;
  }
  // Log outputs open before anything stops, so a bad path rejects the reload too.
  if (Status s = selftelemetry::ConfigureLogger(next.telemetry.logs, PushResource(next)); !s.ok()) {
    spdlog::error("reload rejected, the running configuration stays: {}", s.message());
    return true;
  }
  const auto started = Clock::now();
  Status s = Replace(next);
  if (s.ok()) {
    spdlog::info("configuration reloaded ({} pipeline(s)); receivers were down for {} ms",
                 current_.service->pipeline_count(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
    return true;
  }
  spdlog::error("the new configuration failed to start: {}; starting the previous one again", s.message());
  Loaded previous;
  try {
    previous = Rebuild(current_.root);
  } catch (const config::Error& e) {
    spdlog::critical("cannot rebuild the previous configuration: {}", e.what());
    metrics_.SetSource(nullptr, {});  // `next` dies with this call
    return false;
  }
  // It loaded before, so its outputs open again.
  (void)selftelemetry::ConfigureLogger(previous.telemetry.logs, PushResource(previous));
  if (Status again = Replace(previous); !again.ok()) {
    spdlog::critical("the previous configuration failed to start again: {}", again.message());
    metrics_.SetSource(nullptr, {});  // `previous` dies with this call
    return false;
  }
  spdlog::warn("running the previous configuration again");
  return true;
}

void Collector::Shutdown() {
  if (current_.service) current_.service->Shutdown(Clock::now() + settings_.shutdown_timeout);
  // The push readers' last export (Stop) reads the drained service's
  // counters, which live until the service does: its final counts go out,
  // not only the process metrics.
  metrics_.Stop();
  metrics_.SetSource(nullptr, {});
  // Last, so the shutdown's own lines are exported too.
  selftelemetry::StopLogExport();
}

selftelemetry::Attributes Collector::PushResource(const Loaded& l) const {
  return selftelemetry::ResourceAttributes(l.telemetry.resource, settings_.version, instance_id_);
}

selftelemetry::Labels Collector::Resource(const Loaded& l) const {
  return selftelemetry::ResourceLabels(l.telemetry.resource, settings_.version, instance_id_);
}

Loaded Collector::Rebuild(const config::Node& root) const {
  Loaded l;
  l.root = root;
  l.service = Service::Build(root, settings_.components, {}, settings_.load.gates,
                             settings_.load.receive_memory_bytes);
  l.telemetry = selftelemetry::DecodeTelemetryConfig(root);
  l.wiring = selftelemetry::Wiring::FromConfig(config::DecodeService(root));
  return l;
}

Status Collector::Replace(Loaded& next) {
  if (current_.service) {
    current_.service->Shutdown(Clock::now() + settings_.shutdown_timeout);
  }
  // The old (or a failed) Service's counts are final now: the endpoint
  // folds them in before that Service goes away.
  metrics_.SetSource(&next.service->telemetry(), next.wiring);
  current_.service.reset();
  metrics_.SetResource(Resource(next));
  metrics_.SetPushResource(
      selftelemetry::ResourceAttributes(next.telemetry.resource, settings_.version, instance_id_));
  if (Status s = metrics_.Apply(next.telemetry.metrics, kReloadBindRetry); !s.ok()) {
    spdlog::error("{}", s.message());  // the pipelines matter more than their metrics
  }
  Status s = StartService(next, kReloadBindRetry);
  if (!s.ok()) return s;
  current_ = std::move(next);
  return Status::Ok();
}

Status Collector::StartService(Loaded& l, std::chrono::milliseconds retry) {
  const auto give_up = Clock::now() + retry;
  while (true) {
    Status s = l.service->Start();
    if (s.ok() || Clock::now() >= give_up) return s;
    spdlog::debug("start failed, retrying: {}", s.message());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Loaded fresh;
    try {
      fresh = Rebuild(l.root);
    } catch (const config::Error&) {
      return s;  // it built a moment ago; if it no longer does, report the start failure
    }
    metrics_.SetSource(&fresh.service->telemetry(), fresh.wiring);
    l.service = std::move(fresh.service);
  }
}

}  // namespace otlpd
