#pragma once

#include <string>
#include <vector>

#include "config/component_id.h"
#include "config/feature_gates.h"
#include "config/node.h"
#include "internal/signal.h"

namespace otlpd::config {

struct PipelineConfig {
  ComponentId id;  // "traces" or "traces/name"
  Signal signal = Signal::kTraces;
  Mark mark;
  std::vector<ComponentId> receivers;
  std::vector<Mark> receiver_marks;
  std::vector<ComponentId> processors;
  std::vector<Mark> processor_marks;
  std::vector<ComponentId> exporters;
  std::vector<Mark> exporter_marks;
};

struct TelemetryLogsConfig {
  std::string level = "info";  // debug, info, warn, error, dpanic, panic, fatal
  std::string encoding = "console";
};

struct ServiceConfig {
  std::vector<ComponentId> extensions;
  std::vector<Mark> extension_marks;
  std::vector<PipelineConfig> pipelines;
  TelemetryLogsConfig logs;
  // service.telemetry.metrics and other telemetry blocks are kept raw until the
  // self-telemetry component reads them.
  Node telemetry_metrics;
  Node telemetry_logs_processors;  // service.telemetry.logs.processors, decoded by selftelemetry
};

// Decodes the whole `service` section of a loaded config (root = the merged
// top-level map). Checks shape and ids only; whether ids name defined
// components is checked by the graph builder. Throws Error.
ServiceConfig DecodeService(const Node& root);

// Refuses, as otelcol does, a `profiles` pipeline when the
// `service.profilesSupport` feature gate is off. Throws Error.
void CheckFeatureGates(const ServiceConfig& sc, const FeatureGates& gates);

// Checks the top level of a loaded config: only receivers, processors,
// exporters, extensions, connectors and service are allowed; component
// sections must be maps keyed by valid component ids. Throws Error.
void CheckTopLevel(const Node& root);

}  // namespace otlpd::config
