#include "exporters/otlphttp/factory.h"

#include "exporters/otlphttp/otlphttp_exporter.h"

namespace otlpd::exporters::otlphttp {
namespace {

ExporterFactory MakeFactory(std::string_view type) {
  return ExporterFactory{
      .type = type,
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs, Signal::kProfiles},
      .create = [](const CreateContext& ctx, const config::Node& node) -> std::unique_ptr<Exporter> {
        config::MapDecoder d(node, ctx.path);
        Config config = Config::Decode(d);
        for (Signal s : ctx.signals) {
          if (!config.urls[SignalIndex(s)]) {
            const std::string name(SignalName(s));
            d.Fail(name + "_endpoint", "the exporter is used in a " + name + " pipeline but has no URL for " +
                                           name + ": set endpoint or " + name + "_endpoint");
          }
        }
        exporterhelper::SenderOptions options;
        options.storage = exporterhelper::ResolveStorage(ctx, config.helper);
        return std::make_unique<OtlpHttpExporter>(ctx.id.ToString(), std::move(config),
                                                  ctx.Register("exporter"), std::move(options));
      },
  };
}

}  // namespace

ExporterFactory OtlpHttpExporterFactory() { return MakeFactory("otlphttp"); }
ExporterFactory OtlpUnderscoreHttpExporterFactory() { return MakeFactory("otlp_http"); }

}  // namespace otlpd::exporters::otlphttp
