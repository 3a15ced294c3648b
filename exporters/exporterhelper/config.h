#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "config/decoder.h"

namespace otlpd::exporters::exporterhelper {

// How the sending queue measures its capacity.
enum class Sizer { kRequests, kItems, kBytes };

// `retry_on_failure`: otelcol's configretry.BackOffConfig, same names and defaults.
struct RetryConfig {
  bool enabled = true;
  std::chrono::nanoseconds initial_interval = std::chrono::seconds(5);
  double randomization_factor = 0.5;
  double multiplier = 1.5;
  std::chrono::nanoseconds max_interval = std::chrono::seconds(30);
  std::chrono::nanoseconds max_elapsed_time = std::chrono::seconds(300);  // 0: retry forever

  static RetryConfig Decode(config::MapDecoder& d, const RetryConfig& defaults);
};

// `sending_queue`: otelcol's queuebatch.Config (in-memory queue only for now).
struct QueueConfig {
  bool enabled = true;
  int num_consumers = 10;
  std::int64_t queue_size = 1000;  // in `sizer` units
  Sizer sizer = Sizer::kRequests;
  bool block_on_overflow = false;
  bool wait_for_result = false;

  static QueueConfig Decode(config::MapDecoder& d, const QueueConfig& defaults);
};

// The blocks every exporter built on the helper shares: `timeout`,
// `retry_on_failure` and `sending_queue`.
struct Config {
  std::chrono::nanoseconds timeout = std::chrono::seconds(5);  // per attempt; 0: none
  RetryConfig retry_on_failure;
  QueueConfig sending_queue;

  // Reads those three keys from an exporter's own config map and leaves the
  // others to the exporter (which calls d.Finish()). `defaults` lets an
  // exporter differ from otelcol's generic defaults where its otelcol
  // counterpart does. Throws config::Error naming the key path.
  static Config Decode(config::MapDecoder& d, const Config& defaults);
  static Config Decode(config::MapDecoder& d);
};

std::string_view SizerName(Sizer sizer);

}  // namespace otlpd::exporters::exporterhelper
