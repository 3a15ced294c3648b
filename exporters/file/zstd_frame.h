#pragma once

#include <string>
#include <string_view>

#include "component/status.h"

namespace otlpd::exporters::file {

// Compresses `data` into one complete zstd frame (content size in the
// header, checksum off), at zstd's default level 3: the level otelcol's Go
// encoder (klauspost/compress SpeedDefault) stands for. Each call stands
// alone, so a frame decodes with `zstd -d` without any other frame.
Result<std::string> ZstdFrame(std::string_view data);

}  // namespace otlpd::exporters::file
