#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "component/component.h"
#include "component/telemetry.h"
#include "exporters/debug/config.h"
#include "exporters/debug/formatter.h"
#include "exporters/debug/sampler.h"

namespace spdlog {
class logger;
}

namespace otlpd::exporters::debug {

// What the exporter takes besides its config; tests replace the logger and clock.
struct DebugExporterOptions {
  // Named in the internal logger's fields ("otelcol.component.id": "debug/x").
  std::string component_id = "debug";
  // The internal logger. Null: spdlog's default logger, looked up on every
  // write because the process installs its configured one after components
  // are created.
  std::shared_ptr<spdlog::logger> logger;
  // The sampler's clock.
  std::function<Clock::time_point()> now = [] { return Clock::now(); };
  // Where the exporter counts what it printed (sent) or could not decode
  // (send_failed), as otelcol's exporterhelper does for its debug exporter.
  // Null: counters of its own, which nobody reads.
  ComponentTelemetry* telemetry = nullptr;
};

// The `debug` exporter: prints every payload it receives (a summary line, and
// at normal/detailed verbosity the items) to the process logger or to
// output_paths. One instance serves every pipeline and signal that names it.
class DebugExporter final : public Exporter {
 public:
  explicit DebugExporter(Config config, DebugExporterOptions options = {});
  ~DebugExporter() override;

  DebugExporter(const DebugExporter&) = delete;
  DebugExporter& operator=(const DebugExporter&) = delete;

  // Opens output_paths (files are appended to and created when missing).
  Status Start() override;
  // Flushes and closes the outputs; later Consume calls are refused.
  void Shutdown(Clock::time_point deadline) override;
  // Writes the payload (unless the sampler drops it) and returns Ok;
  // InvalidArgument when the bytes do not decode, Unavailable when not running.
  Status Consume(const PayloadPtr& payload) override;

  const Config& config() const { return config_; }

 private:
  struct Output {
    std::FILE* file = nullptr;
    bool owned = false;  // false for stdout/stderr
    std::string path;
    bool failed = false;  // a write failed and was reported once
  };
  enum class State { kCreated, kRunning, kStopped };

  // Writes one formatted payload as a single unit. Requires mu_.
  void WriteLocked(const FormattedPayload& formatted, Signal signal);
  void CloseOutputsLocked();

  const Config config_;
  const DebugExporterOptions options_;
  ComponentTelemetry own_telemetry_;
  ComponentTelemetry* const telemetry_;  // options_.telemetry, or own_telemetry_

  std::mutex mu_;
  State state_ = State::kCreated;  // guarded by mu_
  Sampler sampler_;                // guarded by mu_
  std::vector<Output> outputs_;    // guarded by mu_
};

}  // namespace otlpd::exporters::debug
