#include "exporters/file/group_path.h"

namespace otlpd::exporters::file {

GroupPath::GroupPath(std::string_view path_with_star) {
  const std::size_t star = path_with_star.find('*');
  prefix_ = std::string(path_with_star.substr(0, star));
  if (star != std::string_view::npos) suffix_ = std::string(path_with_star.substr(star + 1));
}

std::optional<std::string> GroupPath::For(std::string_view value) const {
  if (value.find('\0') != std::string_view::npos) return std::nullopt;
  if (!value.empty() && value.front() == '/') return std::nullopt;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find('/', start);
    if (end == std::string_view::npos) end = value.size();
    if (value.substr(start, end - start) == "..") return std::nullopt;
    start = end + 1;
  }
  std::string out;
  out.reserve(prefix_.size() + value.size() + suffix_.size());
  out.append(prefix_).append(value).append(suffix_);
  return out;
}

}  // namespace otlpd::exporters::file
