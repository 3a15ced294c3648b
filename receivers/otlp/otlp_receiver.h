#pragma once

#include <array>
#include <memory>
#include <string>

#include "component/component.h"
#include "component/receive_budget.h"
#include "component/telemetry.h"
#include "receivers/otlp/config.h"
#include "receivers/otlp/server_context.h"

namespace otlpd::receivers::otlp {

class GrpcServer;
class H2GrpcServer;
class HttpServer;

// The `otlp` receiver: one instance per id, serving every signal its
// pipelines ask for on each configured protocol.
class OtlpReceiver : public Receiver {
 public:
  // `telemetry`: the registry its counters go into; null: DetachedTelemetry().
  // `budget`: the service's shared ReceiveBudget; null gives the receiver a
  // default-sized one of its own.
  OtlpReceiver(std::string id, Config config, Telemetry* telemetry, ReceiveBudget* budget = nullptr);
  ~OtlpReceiver() override;

  void SetConsumer(Signal signal, Consumer* next) override;
  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;

  // The bound gRPC port (useful with endpoint port 0); 0 when not serving gRPC.
  int grpc_port() const;
  // The bound HTTP port; 0 when not serving HTTP.
  int http_port() const;

 private:
  Config config_;
  std::unique_ptr<ReceiveBudget> own_budget_;
  ServerContext context_;  // the servers hold on to it: declared before them
  ComponentTelemetry* grpc_telemetry_ = nullptr;
  // OTLP/gRPC: gRPC C++'s server, or the one on nghttp2 (GrpcConfig::nghttp2_server).
  std::unique_ptr<GrpcServer> grpc_;
  std::unique_ptr<H2GrpcServer> h2_grpc_;
  std::unique_ptr<HttpServer> http_;
};

}  // namespace otlpd::receivers::otlp
