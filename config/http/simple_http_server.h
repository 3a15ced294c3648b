#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/tls_config.h"
#include "internal/status.h"

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

// How long a connection may take at each step, as Go's http.Server reads
// confighttp's timeouts. A zero timeout is none, as in Go.
struct ServerOptions {
  // The whole request, headers and body; 0: none.
  std::chrono::nanoseconds read_timeout{0};
  // The request line and headers; 0: read_timeout.
  std::chrono::nanoseconds read_header_timeout = std::chrono::seconds(30);
  // Writing the response; 0: none.
  std::chrono::nanoseconds write_timeout = std::chrono::seconds(30);
  // false: one request a connection (Connection: close).
  bool keep_alive = true;
  // Waiting for the next request of a kept-alive connection, before its
  // header timeout starts; 0: read_timeout (both 0: none).
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(30);
  // 4 or 6: listen on that IP version only (confignet's tcp4, tcp6); 0: either.
  int ip_version = 0;
  // Set on every response before the handler's own headers (Content-Type
  // from the handler wins), as confighttp's response_headers.
  std::vector<std::pair<std::string, std::string>> response_headers;
};

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
  SimpleHttpServer(std::string host, int port, Handler handler, ServerOptions options = {});
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
