#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "internal/signal.h"
#include "internal/status.h"
#include "service/telemetry/config.h"

namespace otlpd::selftelemetry {

// Sends one serialized OTLP export request of otlpd's own telemetry to an
// `otlp` push target, over gRPC or OTLP/HTTP protobuf: the one transport the
// metrics readers and the logs processors share. Not for the data path.
class OtlpSender {
 public:
  OtlpSender(const OtlpPushTarget& target, Signal signal);
  ~OtlpSender();

  // Blocks up to `timeout`. Unavailable on any failure, with the reason.
  Status Send(const std::string& request, std::chrono::milliseconds timeout);

 private:
  Status SendGrpc(const std::string& request, std::chrono::milliseconds timeout);
  Status SendHttp(const std::string& request, std::chrono::milliseconds timeout);

  const OtlpPushTarget target_;
  const Signal signal_;
  Status setup_error_;  // a TLS file that could not be read: every send fails with it
  struct Grpc;
  std::unique_ptr<Grpc> grpc_;
};

}  // namespace otlpd::selftelemetry
