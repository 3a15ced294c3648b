#include "connectors/spanmetrics/factory.h"

#include <memory>
#include <random>

#include "config/decoder.h"
#include "connectors/spanmetrics/config.h"
#include "connectors/spanmetrics/spanmetrics_connector.h"

namespace otlpd::connectors::spanmetrics {
namespace {

// A random (version 4) UUID: contrib's fallback when the collector gives no
// service.instance.id.
std::string NewUuid() {
  std::random_device rd;
  std::uniform_int_distribution<int> byte(0, 255);
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(byte(rd));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

}  // namespace

ConnectorFactory SpanMetricsConnectorFactory() {
  ConnectorFactory factory;
  factory.type = "spanmetrics";
  factory.pairs = {{Signal::kTraces, Signal::kMetrics}};
  factory.validate = [](const CreateContext& ctx, const config::Node& node) {
    config::MapDecoder decoder(node, ctx.path);
    (void)Config::Decode(decoder);
  };
  factory.create = [](const CreateContext& ctx, const config::Node& node, Signal,
                      const ConnectorOutput& output) -> std::unique_ptr<Connector> {
    config::MapDecoder decoder(node, ctx.path);
    Config cfg = Config::Decode(decoder);
    return std::make_unique<SpanMetricsConnector>(std::move(cfg), output.all, ctx.Register("connector"),
                                                  NewUuid());
  };
  return factory;
}

}  // namespace otlpd::connectors::spanmetrics
