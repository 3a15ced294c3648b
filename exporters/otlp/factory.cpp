#include "exporters/otlp/factory.h"

#include "exporters/otlp/otlp_exporter.h"

namespace otlpd::exporters::otlp {
namespace {

ExporterFactory MakeFactory(std::string_view type) {
  return ExporterFactory{
      .type = type,
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs, Signal::kProfiles},
      .create = [](const CreateContext& ctx, const config::Node& node) -> std::unique_ptr<Exporter> {
        config::MapDecoder d(node, ctx.path);
        Config config = Config::Decode(d);
        config.nghttp2_client = ctx.gates.otlp_nghttp2_grpc_client;
        exporterhelper::SenderOptions options;
        options.storage = exporterhelper::ResolveStorage(ctx, config.helper);
        return std::make_unique<OtlpExporter>(ctx.id.ToString(), std::move(config), ctx.Register("exporter"),
                                              std::move(options));
      },
  };
}

}  // namespace

ExporterFactory OtlpExporterFactory() { return MakeFactory("otlp"); }
ExporterFactory OtlpGrpcExporterFactory() { return MakeFactory("otlp_grpc"); }

}  // namespace otlpd::exporters::otlp
