#pragma once

#include <memory>

#include "component/payload.h"
#include "exporters/exporterhelper/queued_retry_sender.h"
#include "exporters/otlp/config.h"

namespace otlpd::exporters::otlp {

// What the otlp exporter sends its Export calls through: gRPC C++
// (grpc_client.h) or otlpd's own HTTP/2 client on nghttp2
// (h2_grpc_client.h). Both give a call the same outcome for the same answer.
class ExportClient {
 public:
  virtual ~ExportClient() = default;
  // Checks and loads what the client needs (TLS material); connects lazily.
  virtual Status Connect() = 0;
  // One attempt; thread-safe. The result classifies the gRPC status for the
  // exporter helper and carries any partial_success.
  virtual exporterhelper::SendResult Export(const PayloadPtr& payload, Clock::time_point deadline) = 0;
  // Cancels the calls in flight (shutdown deadline passed); later calls fail.
  virtual void CancelAll() = 0;
};

// The nghttp2 client where config.nghttp2_client is set and it serves the
// config (H2GrpcClient::Serves), gRPC C++ otherwise.
std::unique_ptr<ExportClient> MakeExportClient(const Config& config);

}  // namespace otlpd::exporters::otlp
