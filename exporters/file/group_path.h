#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace otlpd::exporters::file {

// Maps a group_by attribute value to its file: `path` with its one `*`
// replaced by the value. A value may name subdirectories ("team/app"), but
// never a place outside the directory the `*` sits in: values that are
// absolute, hold a ".." component or a NUL byte are refused. (otelcol
// rewrites such values into the directory instead; refusing them keeps
// one value from landing in another value's file.)
class GroupPath {
 public:
  explicit GroupPath(std::string_view path_with_star);

  // nullopt when the value is refused.
  std::optional<std::string> For(std::string_view value) const;

 private:
  std::string prefix_;
  std::string suffix_;
};

}  // namespace otlpd::exporters::file
