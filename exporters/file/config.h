#pragma once

#include <chrono>
#include <string>

#include "config/decoder.h"

namespace otlpd::exporters::file {

enum class Format { kJson, kProto };

// The `file` exporter's options, named and defaulted as otelcol-contrib's.
struct Config {
  std::string path;  // required
  Format format = Format::kJson;
  bool append = false;
  std::chrono::nanoseconds flush_interval = std::chrono::seconds(1);
  bool create_directory = false;

  static Config Decode(config::MapDecoder& d);
};

}  // namespace otlpd::exporters::file
