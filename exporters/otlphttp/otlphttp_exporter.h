#pragma once

#include <memory>
#include <string>

#include "component/component.h"
#include "component/telemetry.h"
#include "config/compression/gzip_sender.h"
#include "exporters/exporterhelper/queued_retry_sender.h"
#include "exporters/otlphttp/config.h"

namespace otlpd::exporters::otlphttp {

class HttpClient;

// The `otlphttp` (otlp_http) exporter: POSTs every payload to its signal's
// URL as OTLP/HTTP, protobuf (the payload's bytes as they are) or OTLP/JSON,
// compressed as configured, through the exporter helper's sending queue and
// retries. One implementation for all signals: only the URL differs.
class OtlpHttpExporter : public Exporter {
 public:
  OtlpHttpExporter(std::string id, Config config, ComponentTelemetry* telemetry,
                   exporterhelper::SenderOptions options = {});
  ~OtlpHttpExporter() override;

  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;
  void BeginShutdown(Clock::time_point deadline) override { sender_.BeginShutdown(deadline); }
  Status Consume(const PayloadPtr& payload) override;
  // A persistent sending queue makes the pipeline answer clients only after the append.
  bool durable() const override { return sender_.persistent(); }
  bool ConsumeReturnsAtOnce() const override { return sender_.ConsumeReturnsAtOnce(); }
  // Only protobuf bodies are the client's bytes; a persistent queue stores the bytes only.
  bool UsesGzip() const override {
    return config_.compression == Compression::kGzip && config_.encoding == Encoding::kProto &&
           !sender_.persistent();
  }

  // Connections the HTTP client opened so far (0 before Start).
  std::uint64_t connections_opened() const;

 private:
  exporterhelper::SendResult Send(const PayloadPtr& payload, Clock::time_point deadline);

  std::string id_;
  Config config_;
  std::string user_agent_;
  std::unique_ptr<HttpClient> client_;    // set by Start
  CompressorPool compressors_;            // before sender_, whose threads use it
  config::compression::GzipSender gzip_;  // gzip bodies (compressors_ makes the others)
  exporterhelper::QueuedRetrySender sender_;
};

}  // namespace otlpd::exporters::otlphttp
