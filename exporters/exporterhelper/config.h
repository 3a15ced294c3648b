#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <optional>

#include "component/factory.h"
#include "component/storage.h"
#include "config/component_id.h"
#include "config/decoder.h"
#include "config/node.h"
#include "config/retry/retry_config.h"
#include "exporters/exporterhelper/batch_config.h"

namespace otlpd::exporters::exporterhelper {

// How the sending queue measures its capacity.
enum class Sizer { kRequests, kItems, kBytes };  // declared ahead in batch_config.h

// `sending_queue`: otelcol's queuebatch.Config.
struct QueueConfig {
  bool enabled = true;
  int num_consumers = 10;
  std::int64_t queue_size = 1000;  // in `sizer` units
  Sizer sizer = Sizer::kRequests;
  bool block_on_overflow = false;
  bool wait_for_result = false;
  // `storage`: the id of a storage extension (file_storage) that makes the
  // queue persistent; nullopt for the in-memory queue. `storage_mark` and
  // `storage_path` locate the key for errors found when the graph is built.
  std::optional<config::ComponentId> storage;
  config::Mark storage_mark;
  std::string storage_path;
  // `batch`: exporter-side batching of what the queue holds; nullopt: off.
  std::optional<BatchConfig> batch;

  static QueueConfig Decode(config::MapDecoder& d, const QueueConfig& defaults);
};

// The blocks every exporter built on the helper shares: `timeout`,
// `retry_on_failure` and `sending_queue`.
struct Config {
  std::chrono::nanoseconds timeout = std::chrono::seconds(5);  // per attempt; 0: none
  config::RetryConfig retry_on_failure;
  QueueConfig sending_queue;

  // Reads those three keys from an exporter's own config map and leaves the
  // others to the exporter (which calls d.Finish()). `defaults` lets an
  // exporter differ from otelcol's generic defaults where its otelcol
  // counterpart does. Throws config::Error naming the key path.
  static Config Decode(config::MapDecoder& d, const Config& defaults);
  static Config Decode(config::MapDecoder& d);
};

std::string_view SizerName(Sizer sizer);

// Reads `sizer` ("requests", "items" or "bytes") of the map `d` stands on
// into `sizer`; false when the key is absent. Throws config::Error for
// another value.
bool DecodeSizer(config::MapDecoder& d, Sizer& sizer);

// The storage extension `config.sending_queue.storage` names, or nullptr for
// an in-memory queue. Throws config::Error located at the `storage` key when
// the id is not an extension enabled in service.extensions, or not one that
// stores data. Exporter factories call it in create().
StorageExtension* ResolveStorage(const CreateContext& context, const Config& config);

}  // namespace otlpd::exporters::exporterhelper
