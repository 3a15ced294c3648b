#include "connectors/routing/factory.h"

#include <algorithm>

#include "connectors/routing/routing_connector.h"

namespace otlpd::connectors::routing {

ConnectorFactory RoutingConnectorFactory() {
  ConnectorFactory factory;
  factory.type = "routing";
  for (Signal s : kAllSignals) factory.pairs.emplace_back(s, s);
  factory.validate = [](const CreateContext& ctx, const config::Node& node) {
    config::MapDecoder decoder(node, ctx.path);
    (void)Config::Decode(decoder);
  };
  factory.create = [](const CreateContext& ctx, const config::Node& node, Signal input,
                      const ConnectorOutput& output) -> std::unique_ptr<Connector> {
    config::MapDecoder decoder(node, ctx.path);
    Config cfg = Config::Decode(decoder);
    auto consumer = [&](const std::vector<config::ComponentId>& ids, std::string_view key) -> Consumer* {
      for (const auto& id : ids) {
        if (std::find(output.pipelines.begin(), output.pipelines.end(), id) == output.pipelines.end() &&
            ParseSignal(id.type) == input) {
          decoder.Fail(key, "pipeline \"" + id.ToString() + "\" does not receive from connector \"" +
                                ctx.id.ToString() + "\"");
        }
      }
      return output.consumer(ids);
    };
    for (Route& r : cfg.table) r.consumer = consumer(r.pipelines, "table");
    Consumer* def =
        cfg.default_pipelines.empty() ? nullptr : consumer(cfg.default_pipelines, "default_pipelines");
    return std::make_unique<RoutingConnector>(input, std::move(cfg), def, ctx.Register("connector"));
  };
  return factory;
}

}  // namespace otlpd::connectors::routing
