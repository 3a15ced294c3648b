#pragma once

#include <memory>

#include "component/payload.h"
#include "exporters/exporterhelper/queued_retry_sender.h"
#include "exporters/otlp/config.h"

namespace otlpd::exporters::otlp {

// One gRPC channel to the backend and the unary Export call on it, made with
// gRPC's generic stub so the payload's bytes go out as they are. gRPC types
// stay in the .cpp: this header is included by code that should not compile
// them.
class GrpcClient {
 public:
  explicit GrpcClient(const Config& config);
  ~GrpcClient();

  // Reads TLS material and creates the channel (which connects lazily).
  Status Connect();
  // One attempt; thread-safe. The result classifies the gRPC status for the
  // exporter helper and carries any partial_success.
  exporterhelper::SendResult Export(const PayloadPtr& payload, Clock::time_point deadline);
  // Cancels the calls in flight (shutdown deadline passed); later calls fail.
  void CancelAll();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace otlpd::exporters::otlp
