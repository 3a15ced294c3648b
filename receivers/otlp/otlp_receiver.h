#pragma once

#include <memory>
#include <string>

#include "component/component.h"
#include "component/telemetry.h"
#include "receivers/otlp/config.h"

namespace otlpd::receivers::otlp {

class GrpcServer;
class HttpServer;

// The `otlp` receiver: one instance per id, serving every signal its
// pipelines ask for on each configured protocol.
class OtlpReceiver : public Receiver {
 public:
  OtlpReceiver(std::string id, Config config, Telemetry* telemetry);
  ~OtlpReceiver() override;

  void SetConsumer(Signal signal, Consumer* next) override;
  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;

  // The bound gRPC port (useful with endpoint port 0); 0 when not serving gRPC.
  int grpc_port() const;
  // The bound HTTP port; 0 when not serving HTTP.
  int http_port() const;

 private:
  std::string id_;
  Config config_;
  std::unique_ptr<GrpcServer> grpc_;
  std::unique_ptr<HttpServer> http_;
};

}  // namespace otlpd::receivers::otlp
