#include "exporters/exporterhelper/config.h"

#include "config/error.h"

#include <spdlog/spdlog.h>

namespace otlpd::exporters::exporterhelper {

std::string_view SizerName(Sizer sizer) {
  switch (sizer) {
    case Sizer::kRequests: return "requests";
    case Sizer::kItems: return "items";
    case Sizer::kBytes: return "bytes";
  }
  return "unknown";
}

bool DecodeSizer(config::MapDecoder& d, Sizer& sizer) {
  std::string name(SizerName(sizer));  // the default, as print-config shows it
  if (!d.Optional("sizer", name)) return false;
  if (name == "requests") {
    sizer = Sizer::kRequests;
  } else if (name == "items") {
    sizer = Sizer::kItems;
  } else if (name == "bytes") {
    sizer = Sizer::kBytes;
  } else {
    d.Fail("sizer", "must be requests, items or bytes (got \"" + name + "\")");
  }
  return true;
}

QueueConfig QueueConfig::Decode(config::MapDecoder& d, const QueueConfig& defaults) {
  QueueConfig c = defaults;
  d.Optional("enabled", c.enabled);
  d.Optional("num_consumers", c.num_consumers);
  d.Optional("queue_size", c.queue_size);
  const bool sizer_set = DecodeSizer(d, c.sizer);
  d.Optional("block_on_overflow", c.block_on_overflow);
  d.Optional("wait_for_result", c.wait_for_result);
  if (const config::Node* n = d.Take("storage"); n != nullptr && !n->IsNull()) {
    std::string text;
    config::DecodeValue(*n, d.KeyPath("storage"), text);
    std::string why;
    c.storage = config::ComponentId::Parse(text, &why);
    if (!c.storage) d.Fail("storage", "is not a component id: " + why);
    c.storage_mark = n->mark();
    c.storage_path = d.KeyPath("storage");
  }
  // A disabled queue has no batching either (otelcol's queue section is off).
  c.batch = DecodeBatchConfig(d, sizer_set, c.sizer, c.enabled);
  if (d.Has("blocking")) d.Fail("blocking", "was removed from otelcol (v0.129); use block_on_overflow");
  d.Finish();
  if (!c.enabled) return c;
  if (c.num_consumers <= 0) d.Fail("num_consumers", "must be positive");
  if (c.queue_size <= 0) d.Fail("queue_size", "must be positive");
  if (c.storage && c.wait_for_result) d.Fail("wait_for_result", "cannot be combined with storage");
  // A queue that cannot hold one batch would never send (otelcol's check).
  if (c.batch && c.batch->sizer == c.sizer && c.batch->min_size > c.queue_size) {
    d.Fail("batch", "`min_size` must be less than or equal to `queue_size`");
  }
  return c;
}

Config Config::Decode(config::MapDecoder& d, const Config& defaults) {
  Config c = defaults;
  if (d.Optional("timeout", c.timeout) && c.timeout.count() < 0) d.Fail("timeout", "must be non-negative");
  {
    config::MapDecoder r = d.Child("retry_on_failure");
    c.retry_on_failure = config::RetryConfig::Decode(r, defaults.retry_on_failure);
  }
  {
    config::MapDecoder q = d.Child("sending_queue");
    c.sending_queue = QueueConfig::Decode(q, defaults.sending_queue);
  }
  return c;
}

Config Config::Decode(config::MapDecoder& d) { return Decode(d, Config{}); }

StorageExtension* ResolveStorage(const CreateContext& context, const Config& config) {
  const QueueConfig& q = config.sending_queue;
  if (!q.enabled || !q.storage) return nullptr;
  Extension* e = context.extension ? context.extension(*q.storage) : nullptr;
  if (e == nullptr) {
    throw config::Error(q.storage_mark, q.storage_path,
                        "references extension \"" + q.storage->ToString() +
                            "\" which is not configured or not enabled in service.extensions");
  }
  auto* storage = dynamic_cast<StorageExtension*>(e);
  if (storage == nullptr) {
    throw config::Error(q.storage_mark, q.storage_path,
                        "extension \"" + q.storage->ToString() + "\" is not a storage extension");
  }
  return storage;
}

}  // namespace otlpd::exporters::exporterhelper
