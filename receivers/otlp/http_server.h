#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "component/telemetry.h"
#include "internal/status.h"
#include "receivers/otlp/config.h"
#include "receivers/otlp/server_context.h"

namespace otlpd::receivers::otlp {

// OTLP/HTTP on Boost.Beast: POST of protobuf or JSON bodies (compressed or
// not) to the three signal paths, over HTTP/1.1 with keep-alive, plain or TLS.
// A couple of io threads serve every connection; bodies are read in pieces
// and decompressed as they arrive, so no request holds more than
// max_request_body_size of decoded data. Beast stays inside the .cpp.
class HttpServer {
 public:
  // `context` outlives the server; its budget holds each body as it is
  // read, decompressed and decoded, until the pipeline took it.
  HttpServer(HttpConfig config, const ServerContext& context, ComponentTelemetry* telemetry);
  ~HttpServer();

  Status Start();
  // Stops accepting, closes idle connections, lets requests in progress
  // answer until `deadline`, then closes the rest. No Consume after it returns.
  void Shutdown(std::chrono::steady_clock::time_point deadline);
  // The bound port (useful with endpoint port 0); 0 before Start.
  int port() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace otlpd::receivers::otlp
