#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/decoder.h"
#include "config/http/simple_http_server.h"
#include "config/tls_config.h"

namespace otlpd::http {

// Checks confighttp's `response_headers` (read with MapDecoder::Opaque): a
// header whose name holds a space, a colon or a control character, or whose
// value holds a line break or NUL, can never be sent as written, so it is
// refused here with the reason (otelcol accepts it and sends it mangled).
void CheckResponseHeaders(const config::MapDecoder& d, std::string_view key,
                          const std::map<std::string, std::string>& headers);

// otelcol v0.165's confighttp.ServerConfig for otlpd's own endpoints (the
// health_check extension): every key it has, with its defaults, and the
// same verdicts at validate time. What the endpoint honours:
// - endpoint, transport (tcp, tcp4, tcp6), tls, response_headers,
//   read_timeout, read_header_timeout, write_timeout and keepalive
//   (enabled, idle_timeout), as Go's http.Server does (a zero or negative
//   timeout is none; a negative idle_timeout closes after each answer);
// - max_request_body_size, compression_algorithms and include_metadata are
//   checked and change nothing: these endpoints never read a request body
//   and feed no pipeline (so otelcol's do not use them either);
// - dialer (confignet's, for clients) is checked and unused, as in otelcol;
// - refused, each with the reason: transport unix and the packet transports
//   (otelcol accepts them at validate; otlpd serves these endpoints on TCP
//   only), cors with allowed_origins, auth and middlewares (otlpd has no
//   authenticator or middleware extensions).
struct ServerConfig {
  std::string endpoint;
  std::string transport = "tcp";
  std::optional<config::TlsServerConfig> tls;
  std::int64_t max_request_body_size = 0;  // 0 or less: confighttp's 20 MiB
  bool include_metadata = false;
  std::map<std::string, std::string> response_headers;
  std::vector<std::string> compression_algorithms;
  std::chrono::nanoseconds read_timeout{0};
  std::chrono::nanoseconds read_header_timeout = std::chrono::minutes(1);
  std::chrono::nanoseconds write_timeout = std::chrono::seconds(30);
  bool keepalive = true;
  std::chrono::nanoseconds idle_timeout = std::chrono::minutes(1);

  // Reads confighttp.ServerConfig's keys from `d` into `c` (whose fields
  // hold the defaults: the caller sets the endpoint's). Leaves `d`
  // unfinished: the component reads its own keys next.
  static void DecodeInto(config::MapDecoder& d, ServerConfig& c);

  // What SimpleHttpServer makes of it.
  ServerOptions Options() const;
};

}  // namespace otlpd::http
