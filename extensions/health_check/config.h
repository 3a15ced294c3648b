#pragma once

#include <optional>
#include <string>

#include "config/decoder.h"
#include "config/http/server_config.h"

namespace otlpd::extensions::health_check {

// The `health_check` extension's options, named and defaulted as otelcol-contrib's.
struct Config {
  // otelcol's confighttp.ServerConfig, squashed into the extension's keys:
  // endpoint, transport, tls (served over HTTPS, with mTLS when
  // client_ca_file is set), response_headers, the timeouts, keepalive, and
  // the rest as http::ServerConfig describes.
  http::ServerConfig server = DefaultServer();
  std::string path = "/";
  // Bodies to answer with instead of the JSON status; empty keeps the JSON.
  std::string healthy_body;
  std::string unhealthy_body;

  static http::ServerConfig DefaultServer() {
    http::ServerConfig s;
    s.endpoint = "localhost:13133";
    return s;
  }

  // Also checks the values: endpoint is host:port (otelcol finds a bad one
  // only when it listens), path starts with '/'.
  // otelcol's v2 layout (`http`, `grpc`, `component_health`, `use_v2: true`)
  // is refused with otelcol's own reason without its feature gate, and as
  // not implemented with it.
  // `check_collector_pipeline` is decoded (so typos are still errors) and
  // ignored, as otelcol-contrib has ignored it for years.
  static Config Decode(config::MapDecoder& d, bool component_status_gate);
};

}  // namespace otlpd::extensions::health_check
