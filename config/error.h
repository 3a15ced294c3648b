#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "config/node.h"

namespace otlpd::config {

// A config problem. what() reads "file:line:col: key.path: message" so a user can
// go straight to it. Config loading is the one place exceptions are used: they
// end the load and are caught at the top and printed.
class Error : public std::runtime_error {
 public:
  Error(const Mark& mark, std::string_view path, std::string_view message);
  explicit Error(std::string message) : std::runtime_error(std::move(message)) {}
};

}  // namespace otlpd::config
