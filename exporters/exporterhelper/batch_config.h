#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/decoder.h"
#include "config/node.h"

namespace otlpd::exporters::exporterhelper {

enum class Sizer;

// `sending_queue.batch.partition`: one batch per distinct combination of
// these client-metadata values.
struct BatchPartitionConfig {
  std::vector<std::string> metadata_keys;  // case-insensitive; stored lowercased
  int cache_size = 10000;                  // partitions with data at once; past it the oldest is sent
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(90);
};

// `sending_queue.batch`: otelcol's queuebatch.BatchConfig (exporter-side
// batching), same names, defaults and validation messages (core v0.165.0).
// Queued requests are batched as the batch processor does: serialized
// requests concatenated, cut on wire boundaries at max_size.
struct BatchConfig {
  std::chrono::nanoseconds flush_timeout = std::chrono::milliseconds(200);
  Sizer sizer;  // items unless set, or inherited from sending_queue.sizer (see DecodeBatchConfig)
  std::int64_t min_size = 8192;
  std::int64_t max_size = 0;  // 0: no limit
  BatchPartitionConfig partition;

  BatchConfig();
};

// Reads the `batch` key of a sending_queue map `d`: nullopt when absent or
// `enabled: false`; `batch:` (null) and `batch: {}` turn batching on with the
// defaults. As in otelcol, the batch sizer copies the queue's sizer when
// `sizer` was written in sending_queue (`queue_sizer_set`) and not in a
// non-null `batch`. With `validate` (the queue is enabled; otelcol checks
// nothing of a disabled queue) checks the block, throwing a located
// config::Error; the checks between the block and the queue are QueueConfig's.
std::optional<BatchConfig> DecodeBatchConfig(config::MapDecoder& d, bool queue_sizer_set, Sizer queue_sizer,
                                             bool validate);

}  // namespace otlpd::exporters::exporterhelper
