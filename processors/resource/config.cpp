#include "processors/resource/config.h"

namespace otlpd::processors::resource {

Config Config::Decode(config::MapDecoder& d) {
  Config c;
  if (const config::Node* n = d.Take("attributes"))
    c.attributes = attraction::DecodeActions(*n, d.KeyPath("attributes"));
  d.Finish();
  if (c.attributes.empty()) d.Fail("attributes", "missing required field \"attributes\" (a list of actions)");
  return c;
}

}  // namespace otlpd::processors::resource
