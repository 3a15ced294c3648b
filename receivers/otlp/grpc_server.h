#pragma once

#include <array>
#include <memory>
#include <string>

#include "component/telemetry.h"
#include "internal/status.h"
#include "receivers/otlp/config.h"
#include "receivers/otlp/server_context.h"

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
  // `context` outlives the server; its budget holds each request message
  // from its arrival until the pipeline took it.
  GrpcServer(GrpcConfig config, const ServerContext& context, ComponentTelemetry* telemetry);
  ~GrpcServer();

  Status Start();
  void Shutdown(std::chrono::steady_clock::time_point deadline);
  int port() const { return port_; }

 private:
  GrpcConfig config_;
  const ServerContext& context_;
  ComponentTelemetry* telemetry_;
  struct Serving;
  static void Drain(grpc::ServerCompletionQueue* cq);

  std::unique_ptr<grpc::ResourceQuota> quota_;
  std::unique_ptr<Serving> serving_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace otlpd::receivers::otlp
