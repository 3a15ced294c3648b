#include "processors/batch/config.h"

#include <algorithm>

#include "internal/text.h"

namespace otlpd::processors::batch {

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  d.Optional("send_batch_size", c.send_batch_size);
  d.Optional("send_batch_max_size", c.send_batch_max_size);
  if (d.Optional("timeout", c.timeout) && c.timeout.count() < 0) d.Fail("timeout", "must not be negative");
  d.Optional("metadata_keys", c.metadata_keys);
  d.Optional("metadata_cardinality_limit", c.metadata_cardinality_limit);
  d.Finish();
  if (c.send_batch_max_size > 0 && c.send_batch_max_size < c.send_batch_size) {
    d.Fail("send_batch_max_size", "must be greater or equal to send_batch_size");
  }
  // Metadata keys match case-insensitively (they are HTTP/gRPC header names).
  std::vector<std::string> seen;
  for (std::string& k : c.metadata_keys) {
    AsciiLowerInPlace(k);
    if (std::find(seen.begin(), seen.end(), k) != seen.end()) {
      d.Fail("metadata_keys", "duplicate entry in metadata_keys: \"" + k + "\" (case-insensitive)");
    }
    seen.push_back(k);
  }
  if (!c.metadata_keys.empty() && c.metadata_cardinality_limit == 0) {
    d.Fail("metadata_cardinality_limit", "must be greater than zero when metadata_keys are set");
  }
  return c;
}

}  // namespace otlpd::processors::batch
