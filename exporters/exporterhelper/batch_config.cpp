#include "exporters/exporterhelper/batch_config.h"

#include <fmt/format.h>

#include "config/error.h"
#include "exporters/exporterhelper/config.h"
#include "internal/go_format.h"
#include "internal/text.h"

namespace otlpd::exporters::exporterhelper {

BatchConfig::BatchConfig() : sizer(Sizer::kItems) {}

namespace {

void DecodePartition(config::MapDecoder& d, BatchPartitionConfig& p, bool validate) {
  d.Optional("metadata_keys", p.metadata_keys);
  d.Optional("cache_size", p.cache_size);
  d.Optional("idle_timeout", p.idle_timeout);
  d.Finish();
  if (!validate) return;
  if (p.idle_timeout.count() <= 0) {
    d.Fail("idle_timeout",
           fmt::format("`idle_timeout` must be positive, found {}", GoDuration(p.idle_timeout)));
  }
  std::vector<std::string> seen;
  for (std::string& k : p.metadata_keys) {
    std::string lower = AsciiLower(k);
    for (const std::string& s : seen) {
      if (s == lower)
        d.Fail("metadata_keys",
               fmt::format("duplicate entry in metadata_keys: \"{}\" (case-insensitive)", lower));
    }
    seen.push_back(lower);
    k = std::move(lower);
  }
  if (p.cache_size <= 0)
    d.Fail("cache_size", fmt::format("`cache_size` must be positive, found {}", p.cache_size));
}

}  // namespace

std::optional<BatchConfig> DecodeBatchConfig(config::MapDecoder& d, bool queue_sizer_set, Sizer queue_sizer,
                                             bool validate) {
  const config::Node* n = d.Take("batch");
  if (n == nullptr) return std::nullopt;
  BatchConfig c;
  if (n->IsNull()) return validate ? std::optional<BatchConfig>(c) : std::nullopt;
  config::MapDecoder b(*n, d.KeyPath("batch"));
  validate = b.SectionEnabled() && validate;
  b.Optional("flush_timeout", c.flush_timeout);
  const bool sizer_set = DecodeSizer(b, c.sizer);
  if (!sizer_set && queue_sizer_set) {
    c.sizer = queue_sizer;
  }
  b.Optional("min_size", c.min_size);
  b.Optional("max_size", c.max_size);
  {
    config::MapDecoder p = b.Child("partition");
    DecodePartition(p, c.partition, validate);
  }
  b.Finish();
  if (!validate) return std::nullopt;
  if (c.sizer != Sizer::kItems && c.sizer != Sizer::kBytes) {
    const std::string message =
        fmt::format("`batch` supports only `items` or `bytes` sizer, found \"{}\"", SizerName(c.sizer));
    if (sizer_set) b.Fail("sizer", message);
    throw config::Error(n->mark(), b.path(), message + " (inherited from sending_queue.sizer)");
  }
  if (c.flush_timeout.count() <= 0) {
    b.Fail("flush_timeout",
           fmt::format("`flush_timeout` must be positive, found {}", c.flush_timeout.count()));
  }
  if (c.min_size < 0)
    b.Fail("min_size", fmt::format("`min_size` must be non-negative, found {}", c.min_size));
  if (c.max_size < 0)
    b.Fail("max_size", fmt::format("`max_size` must be non-negative, found {}", c.max_size));
  if (c.max_size > 0 && c.max_size < c.min_size) {
    b.Fail("max_size", fmt::format("`max_size` ({}) must be greater or equal to `min_size` ({})", c.max_size,
                                   c.min_size));
  }
  return c;
}

}  // namespace otlpd::exporters::exporterhelper
