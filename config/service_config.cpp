#include "config/service_config.h"

#include <algorithm>
#include <cstdint>
#include <set>

#include "config/decoder.h"
#include "config/error.h"
#include "internal/text.h"

namespace otlpd::config {
namespace {

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string ItemPath(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

// A list of component ids. A single string is split on commas, as otelcol's
// string-to-slice decode hook does, so `receivers: otlp` works there and here.
void DecodeIdList(const Node& node, std::string_view path, std::vector<ComponentId>* ids,
                  std::vector<Mark>* marks) {
  ids->clear();
  marks->clear();
  std::vector<std::string> texts;
  DecodeValue(node, path, texts);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const Mark& mark = node.IsSequence() ? node.items()[i].mark() : node.mark();
    std::string why;
    std::optional<ComponentId> id = ComponentId::Parse(texts[i], &why);
    if (!id) throw Error(mark, ItemPath(path, i), why);
    ids->push_back(std::move(*id));
    marks->push_back(mark);
  }
}

PipelineConfig DecodePipeline(const Node::Entry& entry, const std::string& path) {
  PipelineConfig p;
  p.mark = entry.key_mark;
  std::string why;
  std::optional<ComponentId> id = ComponentId::Parse(entry.key, &why);
  if (!id) throw Error(entry.key_mark, path, why);
  p.id = *id;
  std::optional<Signal> signal = ParseSignal(p.id.type);
  if (!signal) {
    throw Error(
        entry.key_mark, path,
        "unknown signal " + Quote(p.id.type) + " in pipeline id (must be traces, metrics, logs or profiles)");
  }
  p.signal = *signal;

  MapDecoder d(entry.value, path);
  if (const Node* n = d.Take("receivers"))
    DecodeIdList(*n, d.KeyPath("receivers"), &p.receivers, &p.receiver_marks);
  if (const Node* n = d.Take("processors")) {
    DecodeIdList(*n, d.KeyPath("processors"), &p.processors, &p.processor_marks);
  }
  if (const Node* n = d.Take("exporters"))
    DecodeIdList(*n, d.KeyPath("exporters"), &p.exporters, &p.exporter_marks);
  d.Finish();

  if (p.receivers.empty()) throw Error(entry.key_mark, path, "must have at least one receiver");
  if (p.exporters.empty()) throw Error(entry.key_mark, path, "must have at least one exporter");
  std::set<ComponentId> seen;
  for (std::size_t i = 0; i < p.processors.size(); ++i) {
    if (!seen.insert(p.processors[i]).second) {
      throw Error(p.processor_marks[i], ItemPath(d.KeyPath("processors"), i),
                  "references processor " + Quote(p.processors[i].ToString()) + " multiple times");
    }
  }
  return p;
}

void DecodeTelemetry(MapDecoder& telemetry, ServiceConfig& sc) {
  MapDecoder logs = telemetry.Child("logs");
  std::string level = "info";
  if (const std::optional<std::int64_t> number = logs.LevelNumber("level", "zapcore.Level")) {
    // zapcore.Level is an int8 (-1 debug ... 5 fatal) and otelcol takes any
    // number: zap logs what is at or above it, so below debug is debug, and
    // above fatal, where zap logs nothing, is fatal here (otlpd's quietest).
    static constexpr std::string_view kByNumber[] = {"debug",  "info",  "warn", "error",
                                                     "dpanic", "panic", "fatal"};
    const int n = std::clamp(static_cast<int>(static_cast<std::int8_t>(*number)), -1, 5);
    sc.logs.level = std::string(kByNumber[n + 1]);
  } else if (logs.Optional("level", level)) {
    // zap accepts "debug" and "DEBUG" (and "" for info), not mixed case.
    static constexpr std::string_view kLevels[] = {"debug",  "info",  "warn", "error",
                                                   "dpanic", "panic", "fatal"};
    const std::string lower = AsciiLower(level);
    const bool known = std::find(std::begin(kLevels), std::end(kLevels), lower) != std::end(kLevels);
    if (level.empty()) {
      sc.logs.level = "info";
    } else if (known && (level == lower || level == AsciiUpper(lower))) {
      sc.logs.level = lower;
    } else {
      logs.Fail("level",
                "unrecognized level " + Quote(level) + " (debug, info, warn, error, dpanic, panic, fatal)");
    }
  }
  if (logs.Optional("encoding", sc.logs.encoding) && sc.logs.encoding != "console" &&
      sc.logs.encoding != "json") {
    logs.Fail("encoding", "unrecognized encoding " + Quote(sc.logs.encoding) + " (console or json)");
  }
  // Accepted for compatibility; otlpd's own logger does not use them.
  // Checked and honoured by selftelemetry; read here too so that print-config
  // shows the default.
  std::vector<std::string> output_paths = {"stderr"};
  logs.Optional("output_paths", output_paths);
  for (std::string_view key : {"error_output_paths", "sampling", "development", "disable_caller",
                               "disable_stacktrace", "initial_fields"}) {
    logs.Take(key);
  }
  // Exporting otlpd's own spans is not implemented (it records none): say so
  // rather than accept a config that would send nothing.
  auto refuse_processors = [](MapDecoder& m, std::string_view what) {
    const Node* p = m.Take("processors");
    if (p != nullptr && !p->IsNull() && !(p->IsSequence() && p->items().empty())) {
      m.Fail("processors", "exporting otlpd's own " + std::string(what) + " is not supported yet");
    }
  };
  if (const Node* p = logs.Take("processors")) sc.telemetry_logs_processors = *p;
  logs.Finish();
  if (const Node* metrics = telemetry.Take("metrics")) sc.telemetry_metrics = *metrics;
  {
    // otlpd records no spans of its own; without processors nothing is exported,
    // so the other keys change nothing.
    MapDecoder traces = telemetry.Child("traces");
    for (std::string_view key : {"level", "propagators", "sampler", "limits"}) traces.Take(key);
    refuse_processors(traces, "traces");
    traces.Finish();
  }
  telemetry.Take("resource");
  telemetry.Finish();
}

void CheckSection(const Node& node, const std::string& section) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    throw Error(node.mark(), section, "must be a map of component ids, got " + std::string(node.KindName()));
  }
  std::set<ComponentId> seen;
  for (const Node::Entry& e : node.entries()) {
    const std::string path = section + "." + e.key;
    std::string why;
    std::optional<ComponentId> id = ComponentId::Parse(e.key, &why);
    if (!id) throw Error(e.key_mark, path, why);
    if (!seen.insert(*id).second)
      throw Error(e.key_mark, path, "duplicate component id " + Quote(id->ToString()));
  }
}

}  // namespace

ServiceConfig DecodeService(const Node& root) {
  ServiceConfig sc;
  MapDecoder top(root, "");
  MapDecoder service = top.Child("service");

  if (const Node* n = service.Take("extensions")) {
    DecodeIdList(*n, "service.extensions", &sc.extensions, &sc.extension_marks);
    std::set<ComponentId> seen;
    for (std::size_t i = 0; i < sc.extensions.size(); ++i) {
      if (!seen.insert(sc.extensions[i]).second) {
        throw Error(sc.extension_marks[i], ItemPath("service.extensions", i),
                    "references extension " + Quote(sc.extensions[i].ToString()) + " multiple times");
      }
    }
  }

  const Node* pipelines = service.Take("pipelines");
  if (pipelines == nullptr || pipelines->IsNull() || (pipelines->IsMap() && pipelines->entries().empty())) {
    const Mark& mark = pipelines != nullptr
                           ? pipelines->mark()
                           : (root.Find("service") != nullptr ? root.Find("service")->mark() : root.mark());
    throw Error(mark, "service.pipelines", "service must have at least one pipeline");
  }
  if (!pipelines->IsMap()) {
    throw Error(pipelines->mark(), "service.pipelines",
                "expected a map, got " + std::string(pipelines->KindName()));
  }
  std::set<ComponentId> seen;
  for (const Node::Entry& e : pipelines->entries()) {
    PipelineConfig p = DecodePipeline(e, "service.pipelines." + e.key);
    if (!seen.insert(p.id).second) {
      throw Error(e.key_mark, "service.pipelines." + e.key,
                  "duplicate pipeline id " + Quote(p.id.ToString()));
    }
    sc.pipelines.push_back(std::move(p));
  }

  MapDecoder telemetry = service.Child("telemetry");
  DecodeTelemetry(telemetry, sc);
  service.Finish();
  return sc;
}

void CheckFeatureGates(const ServiceConfig& sc, const FeatureGates& gates) {
  for (const PipelineConfig& p : sc.pipelines) {
    if (p.signal == Signal::kProfiles && !gates.profiles_support) {
      // otelcol's text (service/pipelines Config.Validate).
      throw Error(p.mark, "service.pipelines." + p.id.ToString(),
                  "pipeline " + Quote(p.id.ToString()) +
                      ": profiling signal support is at alpha level, gated under the " +
                      Quote(kProfilesSupportGate) + " feature gate");
    }
  }
}

void CheckTopLevel(const Node& root) {
  if (root.IsNull()) return;
  MapDecoder top(root, "");
  static constexpr std::string_view kSections[] = {"receivers", "processors", "exporters", "extensions",
                                                   "connectors"};
  for (std::string_view section : kSections) top.Take(section);
  const Node* service = top.Take("service");
  top.Finish();

  for (std::string_view section : kSections) {
    if (const Node* n = root.Find(section)) CheckSection(*n, std::string(section));
  }
  if (service != nullptr && !service->IsNull() && !service->IsMap()) {
    throw Error(service->mark(), "service", "expected a map, got " + std::string(service->KindName()));
  }
}

}  // namespace otlpd::config
