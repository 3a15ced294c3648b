#pragma once

#include <memory>

#include "exporters/otlp/export_client.h"

namespace otlpd::exporters::otlp {

// One gRPC channel to the backend and the unary Export call on it, made with
// gRPC's generic stub so the payload's bytes go out as they are. gRPC types
// stay in the .cpp: this header is included by code that should not compile
// them.
class GrpcClient final : public ExportClient {
 public:
  explicit GrpcClient(const Config& config);
  ~GrpcClient() override;

  // Reads TLS material and creates the channel (which connects lazily).
  Status Connect() override;
  exporterhelper::SendResult Export(const PayloadPtr& payload, Clock::time_point deadline) override;
  void CancelAll() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace otlpd::exporters::otlp
