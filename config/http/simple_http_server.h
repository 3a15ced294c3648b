#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "component/status.h"
#include "config/tls_config.h"

namespace otlpd::http {

struct Request {
  std::string method;  // "GET"
  std::string target;  // "/metrics?x=1", as sent
  std::string path;    // "/metrics": the target without its query
  std::string accept;  // the Accept header, for content negotiation
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Called on the server's io thread: it must be quick and must not block.
using Handler = std::function<Response(const Request&)>;

// Splits "host:port", "[v6]:port" or ":port" (empty host: every interface).
// False, with `error` set, when there is no valid port.
bool SplitHostPort(std::string_view endpoint, std::string* host, int* port, std::string* error);

// A small HTTP/1.1 server for otlpd's own endpoints (health_check, the
// Prometheus /metrics page): one io thread, keep-alive, small request bodies,
// optionally TLS, nothing on the data path. Beast stays inside the .cpp so that including
// this header costs nothing.
class SimpleHttpServer {
 public:
  // `host` as in an otelcol endpoint: "localhost" (loopback, IPv4 first), a
  // name, an address, or "" for every interface. Port 0 picks a free port.
  SimpleHttpServer(std::string host, int port, Handler handler);
  ~SimpleHttpServer();
  SimpleHttpServer(const SimpleHttpServer&) = delete;
  SimpleHttpServer& operator=(const SimpleHttpServer&) = delete;

  // Serves HTTPS with `tls` (otelcol's configtls.ServerConfig: versions,
  // client_ca_file for mTLS); call before Start. Reads the certificate and
  // key now: InvalidArgument naming what cannot be read or used, under
  // `path` (the tls map's key path).
  Status EnableTls(const config::TlsServerConfig& tls, const std::string& path);
  bool tls() const;

  // Binds and starts serving. A port still held by the previous owner (a
  // reload) is retried until `bind_retry` has passed.
  Status Start(std::chrono::milliseconds bind_retry = std::chrono::milliseconds(0));
  // Closes the listener and every connection; returns once the io thread is gone.
  void Stop();

  // The bound port (useful with port 0); 0 before Start.
  int port() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace otlpd::http
