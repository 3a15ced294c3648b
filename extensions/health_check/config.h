#pragma once

#include <optional>
#include <string>

#include "config/decoder.h"
#include "config/tls_config.h"

namespace otlpd::extensions::health_check {

// The `health_check` extension's options, named and defaulted as otelcol-contrib's.
struct Config {
  std::string endpoint = "localhost:13133";
  std::string path = "/";
  // Bodies to answer with instead of the JSON status; empty keeps the JSON.
  std::string healthy_body;
  std::string unhealthy_body;
  // `tls` (configtls.ServerConfig, an optional section): the endpoint is
  // served over HTTPS, with mTLS when client_ca_file is set.
  std::optional<config::TlsServerConfig> tls;

  // Also checks the values: endpoint is host:port, path starts with '/'.
  // otelcol's v2 layout (`http`, `grpc`, `component_health`, `use_v2: true`)
  // is refused with otelcol's own reason without its feature gate, and as
  // not implemented with it.
  // `check_collector_pipeline` is decoded (so typos are still errors) and
  // ignored, as otelcol-contrib has ignored it for years.
  static Config Decode(config::MapDecoder& d, bool component_status_gate);
};

}  // namespace otlpd::extensions::health_check
