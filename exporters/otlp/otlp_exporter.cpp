#include "exporters/otlp/otlp_exporter.h"

#include <spdlog/spdlog.h>

#include "exporters/otlp/grpc_client.h"
#include "exporters/otlp/h2_grpc_client.h"

namespace otlpd::exporters::otlp {

std::unique_ptr<ExportClient> MakeExportClient(const Config& config) {
  if (config.nghttp2_client && H2GrpcClient::Serves(config)) return std::make_unique<H2GrpcClient>(config);
  return std::make_unique<GrpcClient>(config);
}

OtlpExporter::OtlpExporter(std::string id, Config config, ComponentTelemetry* telemetry,
                           exporterhelper::SenderOptions options)
    : id_(std::move(id)),
      config_(std::move(config)),
      client_(MakeExportClient(config_)),
      sender_(
          id_, config_.helper,
          [client = client_.get()](const PayloadPtr& p, Clock::time_point deadline) {
            return client->Export(p, deadline);
          },
          telemetry,
          exporterhelper::WithCancel(std::move(options), [client = client_.get()] { client->CancelAll(); })) {
}

// Harmless after a Shutdown(): the sender ignores a second one.
OtlpExporter::~OtlpExporter() { Shutdown(Clock::now()); }

Status OtlpExporter::Start() {
  if (Status s = client_->Connect(); !s.ok()) return s;
  spdlog::info("exporter {}: OTLP/gRPC to {} ({}, compression {}, {})", id_, config_.target,
               config_.use_tls ? "TLS" : "plaintext",
               config_.compression == Compression::kGzip ? "gzip" : "none",
               dynamic_cast<H2GrpcClient*>(client_.get()) != nullptr ? "nghttp2 client" : "gRPC C++ client");
  return sender_.Start();
}

Status OtlpExporter::Consume(const PayloadPtr& payload) { return sender_.Consume(payload); }

void OtlpExporter::Shutdown(Clock::time_point deadline) {
  sender_.Shutdown(deadline);  // cuts a call in flight at the deadline
  client_->CancelAll();
}

}  // namespace otlpd::exporters::otlp
