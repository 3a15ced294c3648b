#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "component/telemetry.h"
#include "config/service_config.h"
#include "internal/signal.h"
#include "service/telemetry/config.h"
#include "service/telemetry/process_metrics.h"

namespace otlpd::selftelemetry {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram };

struct Sample {
  std::string suffix;  // "", or "_bucket", "_sum", "_count" for histograms
  Labels labels;       // the component's labels; resource labels are added when rendering
  double value = 0;
};

// One metric (a Prometheus family) with otelcol's name, help and unit.
struct Family {
  std::string name;  // "otelcol_receiver_accepted_spans"
  std::string help;
  MetricType type = MetricType::kCounter;
  std::string unit;  // UCUM, as otelcol declares it: "s", "By", "{spans}"
  std::vector<Sample> samples;
};

// Which components serve which signals, from service.pipelines, so a
// component shows its counters (at 0) from the start, as otelcol's do once
// touched, and an exporter's queue gauges get a `data_type` label when it
// serves one signal only (its queue is shared when it serves several).
struct Wiring {
  std::map<std::string, std::set<Signal>> receivers;
  std::map<std::string, std::set<Signal>> processors;
  std::map<std::string, std::set<Signal>> exporters;

  static Wiring FromConfig(const config::ServiceConfig& service);
};

// otelcol_receiver_*, otelcol_exporter_*, otelcol_processor_* from the
// registry. Components registered more than once under one id (a processor
// in several pipelines) are summed. Level basic leaves out the batch
// processor's histogram (otelcol shows it from normal on); none gives nothing.
std::vector<Family> CollectComponents(const Telemetry& telemetry, const Wiring& wiring, MetricsLevel level);

// otelcol_process_uptime, otelcol_process_cpu_seconds, otelcol_process_memory_rss.
std::vector<Family> CollectProcess(const ProcessStats& stats);

struct TextOptions {
  bool without_units = true;        // else "_seconds", "_bytes" are appended, as the OTel exporter does
  bool without_type_suffix = true;  // else counters end in "_total"
  Labels resource;                  // on every series: service_name, service_instance_id, ...
};

// Prometheus text exposition format 0.0.4, families and series sorted, with
// # HELP and # TYPE lines.
std::string RenderText(std::vector<Family> families, const TextOptions& options);

// A valid Prometheus label name: "otel.signal" -> "otel_signal".
std::string SanitizeLabelName(std::string_view name);

// Keeps counters and histograms monotonic across a reload: what a retired
// Service counted is added to the same series of the ones that follow.
class CounterCarry {
 public:
  void Retire(const std::vector<Family>& families);
  void Apply(std::vector<Family>& families) const;

 private:
  static std::string Key(const Family& family, const Sample& sample);
  std::map<std::string, double> carried_;
};

}  // namespace otlpd::selftelemetry
