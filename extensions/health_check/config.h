#pragma once

#include <string>

#include "config/decoder.h"

namespace otlpd::extensions::health_check {

// The `health_check` extension's options, named and defaulted as otelcol-contrib's.
struct Config {
  std::string endpoint = "localhost:13133";
  std::string path = "/";
  // Bodies to answer with instead of the JSON status; empty keeps the JSON.
  std::string healthy_body;
  std::string unhealthy_body;

  // Also checks the values: endpoint is host:port, path starts with '/'.
  // `check_collector_pipeline` is decoded (so typos are still errors) and
  // ignored, as otelcol-contrib has ignored it for years.
  static Config Decode(config::MapDecoder& d);
};

}  // namespace otlpd::extensions::health_check
