#include "exporters/file/directories.h"

#include <sys/stat.h>

#include <cerrno>

namespace otlpd::exporters::file {

bool MakeDirectories(const std::string& dir, mode_t mode) {
  if (dir.empty()) return true;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return true;
    errno = ENOTDIR;
    return false;
  }
  std::string::size_type end = dir.find_last_not_of('/');
  if (end == std::string::npos) return true;  // "/" exists
  const std::string::size_type slash = dir.rfind('/', end);
  if (slash != std::string::npos && slash > 0 && !MakeDirectories(dir.substr(0, slash), mode)) return false;
  if (::mkdir(dir.c_str(), mode) == 0) return true;
  // Someone else may have made it meanwhile.
  const int err = errno;
  if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return true;
  errno = err;
  return false;
}

}  // namespace otlpd::exporters::file
