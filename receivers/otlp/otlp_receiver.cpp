#include "receivers/otlp/otlp_receiver.h"

#include <spdlog/spdlog.h>

#include "component/factory.h"
#include "receivers/otlp/grpc_server.h"
#include "receivers/otlp/h2_grpc_server.h"
#include "receivers/otlp/http_server.h"

namespace otlpd::receivers::otlp {

OtlpReceiver::OtlpReceiver(std::string id, Config config, Telemetry* telemetry, ReceiveBudget* budget)
    : config_(std::move(config)) {
  Telemetry& registry = telemetry != nullptr ? *telemetry : DetachedTelemetry();
  if (budget == nullptr) {
    own_budget_ = std::make_unique<ReceiveBudget>();
    budget = own_budget_.get();
  }
  context_.receiver_id = id;
  context_.budget = budget;
  if (config_.grpc) {
    grpc_telemetry_ = registry.Register("receiver", id, "grpc");
    if (config_.grpc->nghttp2_server && H2GrpcServer::Serves(*config_.grpc)) {
      h2_grpc_ = std::make_unique<H2GrpcServer>(*config_.grpc, context_, grpc_telemetry_);
    } else {
      if (config_.grpc->nghttp2_server) {
        spdlog::info("receiver {}: OTLP/gRPC with TLS is served by gRPC C++, not nghttp2", id);
      }
      grpc_ = std::make_unique<GrpcServer>(*config_.grpc, context_, grpc_telemetry_);
    }
  }
  if (config_.http) {
    http_ = std::make_unique<HttpServer>(*config_.http, context_, registry.Register("receiver", id, "http"));
  }
}

OtlpReceiver::~OtlpReceiver() = default;

void OtlpReceiver::SetConsumer(Signal signal, Consumer* next) {
  context_.consumers[SignalIndex(signal)] = next;
}

Status OtlpReceiver::Start() {
  for (std::size_t i = 0; i < kSignalCount; ++i) context_.keep_gzip[i] = UsesGzip(context_.consumers[i]);
  if (h2_grpc_ && AnyMayBlock(context_.consumers)) {
    // One thread cannot wait on several disk appends at once (they share an
    // fsync only when their callers wait in parallel): gRPC C++'s threads can.
    spdlog::info("receiver {}: a pipeline may block on disk; OTLP/gRPC is served by gRPC C++, not nghttp2",
                 context_.receiver_id);
    h2_grpc_.reset();
    grpc_ = std::make_unique<GrpcServer>(*config_.grpc, context_, grpc_telemetry_);
  }
  if (h2_grpc_) {
    if (Status s = h2_grpc_->Start(); !s.ok()) return s;
  }
  if (grpc_) {
    if (Status s = grpc_->Start(); !s.ok()) return s;
  }
  if (http_) {
    if (Status s = http_->Start(); !s.ok()) return s;
  }
  return Status::Ok();
}

void OtlpReceiver::Shutdown(Clock::time_point deadline) {
  if (http_) http_->Shutdown(deadline);
  if (grpc_) grpc_->Shutdown(deadline);
  if (h2_grpc_) h2_grpc_->Shutdown(deadline);
}

int OtlpReceiver::grpc_port() const {
  if (h2_grpc_) return h2_grpc_->port();
  return grpc_ ? grpc_->port() : 0;
}

int OtlpReceiver::http_port() const { return http_ ? http_->port() : 0; }

}  // namespace otlpd::receivers::otlp
