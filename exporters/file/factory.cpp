#include "exporters/file/factory.h"

#include "exporters/file/file_exporter.h"

namespace otlpd::exporters::file {

ExporterFactory FileExporterFactory() {
  return ExporterFactory{
      .type = "file",
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs, Signal::kProfiles},
      .create = [](const CreateContext& ctx, const config::Node& node) -> std::unique_ptr<Exporter> {
        config::MapDecoder d(node, ctx.path);
        return std::make_unique<FileExporter>(ctx.id.ToString(), Config::Decode(d), ctx.Register("exporter"));
      },
  };
}

}  // namespace otlpd::exporters::file
