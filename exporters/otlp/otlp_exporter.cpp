#include "exporters/otlp/otlp_exporter.h"

#include <thread>

#include <spdlog/spdlog.h>

#include "exporters/otlp/grpc_client.h"

namespace otlpd::exporters::otlp {

OtlpExporter::OtlpExporter(std::string id, Config config, ComponentTelemetry* telemetry,
                           exporterhelper::SenderOptions options)
    : id_(std::move(id)),
      config_(std::move(config)),
      client_(std::make_unique<GrpcClient>(config_)),
      sender_(
          id_, config_.helper,
          [client = client_.get()](const PayloadPtr& p, Clock::time_point deadline) {
            return client->Export(p, deadline);
          },
          telemetry, std::move(options)) {}

// Harmless after a Shutdown(): the sender ignores a second one.
OtlpExporter::~OtlpExporter() { Shutdown(Clock::now()); }

Status OtlpExporter::Start() {
  if (Status s = client_->Connect(); !s.ok()) return s;
  spdlog::info("exporter {}: OTLP/gRPC to {} ({}, compression {})", id_, config_.target,
               config_.use_tls ? "TLS" : "plaintext",
               config_.compression == Compression::kGzip ? "gzip" : "none");
  return sender_.Start();
}

Status OtlpExporter::Consume(const PayloadPtr& payload) { return sender_.Consume(payload); }

void OtlpExporter::Shutdown(Clock::time_point deadline) {
  // A call in flight at the deadline is cancelled, so that shutdown is not
  // held up by an attempt whose own timeout lies further out (or is none).
  std::mutex mu;
  std::condition_variable cv;
  bool drained = false;
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_until(lock, deadline, [&] { return drained; })) client_->CancelAll();
  });
  sender_.Shutdown(deadline);
  {
    std::lock_guard<std::mutex> lock(mu);
    drained = true;
  }
  cv.notify_one();
  watchdog.join();
  client_->CancelAll();
}

}  // namespace otlpd::exporters::otlp
