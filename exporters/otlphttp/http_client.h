#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "component/component.h"
#include "config/tls_config.h"
#include "exporters/otlphttp/config.h"
#include "internal/status.h"

namespace otlpd::exporters::otlphttp {

struct HttpClientOptions {
  config::TlsClientConfig tls;
  std::string tls_path;      // the `tls` key path, for errors about its files
  int read_buffer_size = 0;  // initial size of a connection's read buffer; 0: Beast's default
  int max_idle_conns = 100;  // idle connections kept over all hosts; 0: no limit
  int max_idle_conns_per_host = 2;
  int max_conns_per_host = 0;  // 0: no limit; else callers wait for one to come free
  std::chrono::nanoseconds idle_conn_timeout = std::chrono::seconds(90);  // 0: no limit
  bool disable_keep_alives = false;
  std::size_t max_response_body =
      64 * 1024;  // bytes of a response body kept; a longer one closes the connection
};

struct HttpRequest {
  const Url* url = nullptr;
  // An http:// forward proxy to go through; null: straight to the URL's host.
  // Connections are pooled by target, so one target always takes one route.
  const Url* proxy = nullptr;
  // Sent in this order, after Host; a "Host" entry replaces the URL's.
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;  // borrowed until Post returns
};

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::optional<std::string> retry_after;  // the Retry-After header, when present
  std::string body;                        // at most max_response_body bytes
  bool body_truncated = false;
};

// An HTTP/1.1 client on Boost.Beast for the otlphttp exporter: POST with a
// deadline over plain TCP or TLS (OpenSSL: the server's certificate and host
// name verified, SNI, client certificates), directly or through an http://
// proxy (absolute-form requests for http:// targets, CONNECT tunnels for
// https://), with a pool of keep-alive connections shared by the calling
// threads.
//
// No threads of its own besides one for DNS: each Post() runs in the caller's
// thread and drives the io_context of the connection it holds, so a
// connection is used by one thread at a time and nothing is locked during
// I/O. HTTP/2 is not spoken; otlpd's exporter sends one request per
// connection at a time and gets its parallelism from several connections.
//
// Reuse: a connection goes back to the pool after a complete response that
// allows keep-alive, and is taken from it newest first; one the server has
// closed meanwhile is noticed (and dropped) before it is used. Should a
// reused connection still fail before any byte of the answer arrived (the
// server closed it just as the request went out), the request is sent once
// more on a new connection, as browsers and curl do.
class HttpClient {
 public:
  // Reads the TLS material. InvalidArgument naming the key path of the file
  // that cannot be read or used.
  static Result<std::unique_ptr<HttpClient>> Create(HttpClientOptions options);
  ~HttpClient();

  // One request, all of it (DNS, connect, proxy, handshake, write, read)
  // done before `deadline` (Clock::time_point::max(): none). Thread-safe.
  // Transport failures are Unavailable, running out of time is
  // DeadlineExceeded; both retryable. Any HTTP status is a response.
  Result<HttpResponse> Post(const HttpRequest& request, Clock::time_point deadline);

  // Aborts requests in flight and fails later ones (shutdown deadline passed).
  void CancelAll();

  // Connections opened since creation (tests and logs).
  std::uint64_t connections_opened() const;

  struct Impl;

 private:
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace otlpd::exporters::otlphttp
