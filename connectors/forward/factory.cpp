#include "connectors/forward/factory.h"

#include <memory>

#include "config/decoder.h"
#include "connectors/forward/forward_connector.h"

namespace otlpd::connectors::forward {

ConnectorFactory ForwardConnectorFactory() {
  ConnectorFactory factory;
  factory.type = "forward";
  for (Signal s : kSignalsWithProfiles) factory.pairs.emplace_back(s, s);
  factory.validate = [](const CreateContext& ctx, const config::Node& node) {
    config::MapDecoder decoder(node, ctx.path);
    decoder.Finish();
  };
  factory.create = [](const CreateContext& ctx, const config::Node& node, Signal input,
                      const ConnectorOutput& output) -> std::unique_ptr<Connector> {
    config::MapDecoder decoder(node, ctx.path);
    decoder.Finish();
    return std::make_unique<ForwardConnector>(input, output.all, ctx.Register("connector"));
  };
  return factory;
}

}  // namespace otlpd::connectors::forward
