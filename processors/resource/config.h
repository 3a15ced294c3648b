#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/decoder.h"
#include "processors/internal/attraction/config.h"

namespace otlpd::processors::resource {

using attraction::Action;

// The `resource` processor's options: `attributes`, a non-empty action list.
struct Config {
  std::vector<Action> attributes;

  static Config Decode(config::MapDecoder& d);
};

}  // namespace otlpd::processors::resource
