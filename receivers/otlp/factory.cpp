#include "receivers/otlp/factory.h"

#include "receivers/otlp/otlp_receiver.h"

namespace otlpd::receivers::otlp {

ReceiverFactory OtlpReceiverFactory() {
  return ReceiverFactory{
      .type = "otlp",
      .signals = {Signal::kTraces, Signal::kMetrics, Signal::kLogs, Signal::kProfiles},
      .create = [](const CreateContext& ctx, const config::Node& node) -> std::unique_ptr<Receiver> {
        config::MapDecoder d(node, ctx.path);
        Config config = Config::Decode(d);
        if (config.grpc) config.grpc->nghttp2_server = ctx.gates.otlp_nghttp2_grpc_server;
        return std::make_unique<OtlpReceiver>(ctx.id.ToString(), std::move(config), &ctx.registry(),
                                              ctx.receive_budget);
      },
  };
}

}  // namespace otlpd::receivers::otlp
