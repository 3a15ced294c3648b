#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "component/component.h"
#include "config/http/simple_http_server.h"
#include "extensions/health_check/config.h"

namespace otlpd::extensions::health_check {

// Answers `path` with 200 and a JSON status while the Service runs its
// pipelines, and with 503 before they are up and from the moment shutdown
// (or a reload) begins, the way otelcol's health_check does; Kubernetes
// liveness and readiness probes point at it.
class HealthCheckExtension : public Extension {
 public:
  HealthCheckExtension(std::string id, Config config);
  ~HealthCheckExtension() override;

  Status Start() override;
  void Shutdown(Clock::time_point deadline) override;
  void Ready() override;
  void NotReady() override;

  // The bound port (endpoint port 0 picks one); 0 before Start.
  int port() const;
  // The answer to one request; the server calls it on its io thread.
  http::Response Answer(const http::Request& request) const;

 private:
  const std::string id_;
  const Config config_;
  std::unique_ptr<http::SimpleHttpServer> server_;
  // Nanoseconds since the Unix epoch of the last Ready(); 0 while not ready.
  std::atomic<std::int64_t> up_since_ns_{0};
};

// Go's time.Duration.String() ("1m2.5s", "1.5ms"), which the status JSON's
// "uptime" uses.
std::string GoDurationString(std::chrono::nanoseconds d);
// Go's RFC 3339 with nanoseconds, trailing zeros trimmed: "2024-05-01T10:00:00.5Z".
std::string Rfc3339Nano(std::int64_t unix_ns);

}  // namespace otlpd::extensions::health_check
