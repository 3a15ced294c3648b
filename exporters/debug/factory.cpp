#include "exporters/debug/factory.h"

#include <memory>
#include <utility>

#include "config/decoder.h"
#include "exporters/debug/config.h"
#include "exporters/debug/debug_exporter.h"

namespace otlpd::exporters::debug {

ExporterFactory DebugExporterFactory() {
  ExporterFactory factory;
  factory.type = "debug";
  factory.signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs, Signal::kProfiles};
  factory.create = [](const CreateContext& ctx, const config::Node& node) -> std::unique_ptr<Exporter> {
    config::MapDecoder decoder(node, ctx.path);
    Config cfg = Config::Decode(decoder);
    DebugExporterOptions options;
    if (!ctx.id.type.empty()) options.component_id = ctx.id.ToString();
    options.telemetry = ctx.Register("exporter");
    return std::make_unique<DebugExporter>(std::move(cfg), std::move(options));
  };
  return factory;
}

}  // namespace otlpd::exporters::debug
