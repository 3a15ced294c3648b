#pragma once

#include <string>
#include <utility>

#include "config/error.h"

namespace otlpd::test {

// The message of the config::Error `decode` throws (file:line:col: key: what),
// or "" when it returns: how a test reads a refused config.
template <class Decode>
std::string ConfigError(Decode&& decode) {
  try {
    std::forward<Decode>(decode)();
  } catch (const config::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace otlpd::test
