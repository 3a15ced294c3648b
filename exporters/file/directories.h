#pragma once

#include <sys/types.h>

#include <string>

namespace otlpd::exporters::file {

// Creates `dir` and its missing parents with `mode` (less the umask), as Go's
// os.MkdirAll. True when the directory exists afterwards; false with errno set.
bool MakeDirectories(const std::string& dir, mode_t mode);

}  // namespace otlpd::exporters::file
