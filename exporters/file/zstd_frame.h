#pragma once

#include <string>
#include <string_view>

#include "internal/status.h"

namespace otlpd::exporters::file {

// Compresses `data` into one complete zstd frame (content size in the
// header, checksum off), at `level`; 0 is zstd's default level 3, the level
// otelcol's Go encoder (klauspost/compress SpeedDefault) stands for, and a
// level outside zstd's range is clamped to it. Each call stands alone, so a
// frame decodes with `zstd -d` without any other frame.
Result<std::string> ZstdFrame(std::string_view data, int level = 0);

}  // namespace otlpd::exporters::file
