#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "component/component.h"
#include "component/telemetry.h"
#include "exporters/exporterhelper/queued_retry_sender.h"
#include "exporters/otlp/config.h"

namespace otlpd::exporters::otlp {

class ExportClient;

// The `otlp` (otlp_grpc) exporter: forwards every payload's bytes unchanged
// as an OTLP/gRPC Export call, through the exporter helper's sending queue
// and retries. One implementation for all signals: only the method differs.
class OtlpExporter : public Exporter {
 public:
  OtlpExporter(std::string id, Config config, ComponentTelemetry* telemetry,
               exporterhelper::SenderOptions options = {});
  ~OtlpExporter() override;

  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;
  void BeginShutdown(Clock::time_point deadline) override { sender_.BeginShutdown(deadline); }
  Status Consume(const PayloadPtr& payload) override;
  bool durable() const override { return sender_.persistent(); }
  bool ConsumeReturnsAtOnce() const override { return sender_.ConsumeReturnsAtOnce(); }
  // A persistent queue stores the bytes only.
  bool UsesGzip() const override {
    return config_.compression == Compression::kGzip && !sender_.persistent();
  }

 private:
  std::string id_;
  Config config_;
  std::unique_ptr<ExportClient> client_;
  exporterhelper::QueuedRetrySender sender_;
};

}  // namespace otlpd::exporters::otlp
