#pragma once

#include <array>
#include <memory>
#include <string>

#include "component/consumer.h"
#include "component/receive_budget.h"
#include "component/telemetry.h"
#include "internal/status.h"
#include "receivers/otlp/config.h"

namespace grpc {
class ResourceQuota;
class Server;
class ServerCompletionQueue;
}  // namespace grpc

namespace otlpd::receivers::otlp {

// OTLP/gRPC: the three Export methods served as raw bytes through gRPC's
// generic async API, so a request is never decoded into messages: it is
// validated and counted by the wire walker and handed on as it came.
class GrpcServer {
 public:
  // `budget` (not null) outlives the server; it holds each request message
  // from its arrival until the pipeline took it.
  GrpcServer(GrpcConfig config, std::string receiver_id, ComponentTelemetry* telemetry,
             ReceiveBudget* budget);
  ~GrpcServer();

  void SetConsumer(Signal signal, Consumer* next) { consumers_[SignalIndex(signal)] = next; }
  Status Start();
  void Shutdown(std::chrono::steady_clock::time_point deadline);
  int port() const { return port_; }

 private:
  GrpcConfig config_;
  std::string receiver_id_;
  ComponentTelemetry* telemetry_;
  ReceiveBudget* budget_;
  std::array<Consumer*, kSignalCount> consumers_{};
  struct Serving;
  static void Drain(grpc::ServerCompletionQueue* cq);

  std::unique_ptr<grpc::ResourceQuota> quota_;
  std::unique_ptr<Serving> serving_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace otlpd::receivers::otlp
