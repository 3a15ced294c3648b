#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/decoder.h"

namespace otlpd::processors::batch {

// The `batch` processor's options, named and defaulted as otelcol's.
struct Config {
  std::uint32_t send_batch_size = 8192;   // items that trigger a send; not a cap
  std::uint32_t send_batch_max_size = 0;  // hard cap; larger batches are split; 0 = none
  std::chrono::nanoseconds timeout = std::chrono::milliseconds(200);  // 0 = send at once
  std::vector<std::string> metadata_keys;  // batch separately per value combination
  std::uint32_t metadata_cardinality_limit = 1000;

  static Config Decode(config::MapDecoder& d);
};

}  // namespace otlpd::processors::batch
