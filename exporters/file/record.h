#pragma once

#include <string>
#include <string_view>

#include "exporters/file/config.h"
#include "internal/signal.h"
#include "internal/status.h"

namespace otlpd::exporters::file {

// One record of the file, laid out as otelcol's file exporter writes it:
//   json, no compression: the OTLP/JSON object and "\n";
//   anything else: a 4-byte big-endian length, then the message: the protobuf
//   bytes or the JSON object (no newline), zstd-compressed into one frame of
//   its own when compression is zstd (the length counts the frame's bytes).
// A file of compressed records is therefore not one zstd stream: the length
// prefixes sit between the frames, as in otelcol without its alpha
// `exporter.file.nativeCompression` gate.
// `level` is the zstd level (ZstdFrame's).
Result<std::string> EncodeRecord(Signal signal, std::string_view request, Format format,
                                 Compression compression, int level = 0);

}  // namespace otlpd::exporters::file
