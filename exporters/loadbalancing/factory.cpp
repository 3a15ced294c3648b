#include "exporters/loadbalancing/factory.h"

#include <cstdlib>

#include <cstdlib>

#include "exporters/loadbalancing/loadbalancing_exporter.h"

namespace otlpd::exporters::loadbalancing {
namespace {

ExporterFactory MakeFactory(std::string_view type) {
  return ExporterFactory{
      .type = type,
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs},
      .create = [](const CreateContext& ctx, const config::Node& node) -> std::unique_ptr<Exporter> {
        config::MapDecoder d(node, ctx.path);
        Config config = Config::Decode(d);
        for (Signal s : ctx.signals) {
          std::string error;
          if (!config.KeyFor(s, &error)) d.Fail("routing_key", error);
        }
        ExporterOptions options;
        // The DNS servers the dns resolver asks instead of resolv.conf's
        // ("127.0.0.1:5353", c-ares' server list form): for tests that serve
        // DNS on loopback, and for hosts whose resolv.conf is not the one to use.
        if (const char* servers = std::getenv("OTLPD_LOADBALANCING_DNS_SERVERS"); servers != nullptr) {
          options.dns_servers = servers;
        }
        return std::make_unique<LoadBalancingExporter>(ctx.id.ToString(), std::move(config),
                                                       ctx.Register("exporter"), std::move(options));
      },
  };
}

}  // namespace

ExporterFactory LoadBalancingExporterFactory() { return MakeFactory("load_balancing"); }
ExporterFactory LoadbalancingExporterFactory() { return MakeFactory("loadbalancing"); }

}  // namespace otlpd::exporters::loadbalancing
