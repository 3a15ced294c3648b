#include "receivers/otlp/otlp_receiver.h"

#include "component/factory.h"
#include "receivers/otlp/grpc_server.h"
#include "receivers/otlp/http_server.h"

namespace otlpd::receivers::otlp {

OtlpReceiver::OtlpReceiver(std::string id, Config config, Telemetry* telemetry, ReceiveBudget* budget)
    : id_(std::move(id)), config_(std::move(config)) {
  Telemetry& registry = telemetry != nullptr ? *telemetry : DetachedTelemetry();
  if (budget == nullptr) {
    own_budget_ = std::make_unique<ReceiveBudget>();
    budget = own_budget_.get();
  }
  if (config_.grpc) {
    grpc_ =
        std::make_unique<GrpcServer>(*config_.grpc, id_, registry.Register("receiver", id_, "grpc"), budget);
  }
  if (config_.http) {
    http_ =
        std::make_unique<HttpServer>(*config_.http, id_, registry.Register("receiver", id_, "http"), budget);
  }
}

OtlpReceiver::~OtlpReceiver() = default;

void OtlpReceiver::SetConsumer(Signal signal, Consumer* next) {
  if (grpc_) grpc_->SetConsumer(signal, next);
  if (http_) http_->SetConsumer(signal, next);
}

Status OtlpReceiver::Start() {
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
}

int OtlpReceiver::grpc_port() const { return grpc_ ? grpc_->port() : 0; }

int OtlpReceiver::http_port() const { return http_ ? http_->port() : 0; }

}  // namespace otlpd::receivers::otlp
