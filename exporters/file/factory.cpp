#include "exporters/file/factory.h"

#include "exporters/file/file_exporter.h"

namespace otlpd::exporters::file {

ExporterFactory FileExporterFactory() {
  return ExporterFactory{
      .type = "file",
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs, Signal::kProfiles},
      .create = [](const CreateContext& ctx, const config::Node& node) -> std::unique_ptr<Exporter> {
        config::MapDecoder d(node, ctx.path);
        static Telemetry unused;
        Telemetry* t = ctx.telemetry != nullptr ? ctx.telemetry : &unused;
        return std::make_unique<FileExporter>(ctx.id.ToString(), Config::Decode(d),
                                              t->Register("exporter", ctx.id.ToString()));
      },
  };
}

}  // namespace otlpd::exporters::file
